import type { Clock, TimerHandle } from '../clock.js';
import { jitteredDelay } from './jitter.js';

export interface RepeatJitteredOptions {
  clock: Clock;
  /** The longest wait between two ticks; each wait is 75-100 % of it (with the default spread). */
  intervalMs: number;
  spread?: number;
  /** For the jitter; tests pass a fixed one. */
  random?: () => number;
}

/**
 * Calls `tick` again and again, each time after a fresh jittered delay (issue 14): nodes started
 * together (a deploy) and timers made in the same tick would otherwise beat, poll and sweep in
 * step for good; a random phase drawn once is undone by the first stall that fires the overdue
 * timers together (Node reschedules an interval from when it ran). No wait is longer than
 * `intervalMs`, so whatever a deadline counts on (a node timeout, a rotation's reach) holds. The next tick is set before this one runs, so a tick's cost does not stretch
 * the cadence; a tick that does async work guards against overlapping its previous run itself.
 * Returns a function that stops it (also from inside `tick`).
 */
export function repeatJittered(options: RepeatJitteredOptions, tick: () => void): () => void {
  const { clock, intervalMs, spread = 0.25, random = Math.random } = options;
  let timer: TimerHandle | null = null;
  const schedule = (): void => {
    timer = clock.setTimeout(() => {
      schedule();
      tick();
    }, jitteredDelay(intervalMs, spread, random));
  };
  schedule();
  return () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  };
}
