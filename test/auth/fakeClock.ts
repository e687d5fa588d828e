import type { Clock, TimerHandle } from '../../src/lifecycle/clock.js';

interface FakeTimer {
  dueAt: number;
  callback: () => void;
  intervalMs: number | null;
}

/** A clock the test moves by hand; timers fire in due order during `advance`. */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new Map<TimerHandle, FakeTimer>();

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (let next = this.nextDue(target); next !== undefined; next = this.nextDue(target)) {
      const [handle, timer] = next;
      this.current = timer.dueAt;
      if (timer.intervalMs === null) this.timers.delete(handle);
      else timer.dueAt += timer.intervalMs;
      timer.callback();
    }
    this.current = target;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.add({ dueAt: this.current + delayMs, callback, intervalMs: null });
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  setInterval(callback: () => void, intervalMs: number): TimerHandle {
    return this.add({ dueAt: this.current + intervalMs, callback, intervalMs: Math.max(1, intervalMs) });
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  private add(timer: FakeTimer): TimerHandle {
    const handle: TimerHandle = {};
    this.timers.set(handle, timer);
    return handle;
  }

  private nextDue(target: number): [TimerHandle, FakeTimer] | undefined {
    let best: [TimerHandle, FakeTimer] | undefined;
    for (const entry of this.timers) {
      if (entry[1].dueAt <= target && (best === undefined || entry[1].dueAt < best[1].dueAt)) best = entry;
    }
    return best;
  }
}
