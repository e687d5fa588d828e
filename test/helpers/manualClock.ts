import type { Clock, TimerHandle } from '../../src/clock.js';

interface ManualTimer {
  dueAt: number;
  callback: () => void;
  /** null for a one-shot timeout. */
  intervalMs: number | null;
}

/**
 * A clock moved by hand that also shows its pending timers, so a test can prove a timer was
 * cancelled (not merely that it has not fired yet). Timers fire in due order during `advance`,
 * with `now()` equal to their due time.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<TimerHandle, ManualTimer>();

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Timers (timeouts and intervals) set and neither fired (timeouts) nor cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Due time of the earliest pending timer, or null. */
  get nextDueAt(): number | null {
    let earliest: number | null = null;
    for (const timer of this.timers.values()) if (earliest === null || timer.dueAt < earliest) earliest = timer.dueAt;
    return earliest;
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      const [handle, timer] = next;
      this.current = timer.dueAt;
      if (timer.intervalMs === null) this.timers.delete(handle);
      else timer.dueAt += timer.intervalMs;
      timer.callback();
    }
    this.current = target;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.add({ dueAt: this.current + Math.max(0, delayMs), callback, intervalMs: null });
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    const every = Math.max(1, intervalMs);
    return this.add({ dueAt: this.current + every, callback, intervalMs: every });
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  private add(timer: ManualTimer): TimerHandle {
    const handle: TimerHandle = {};
    this.timers.set(handle, timer);
    return handle;
  }

  private nextDue(target: number): [TimerHandle, ManualTimer] | undefined {
    let best: [TimerHandle, ManualTimer] | undefined;
    for (const entry of this.timers) {
      if (entry[1].dueAt <= target && (best === undefined || entry[1].dueAt < best[1].dueAt)) best = entry;
    }
    return best;
  }
}
