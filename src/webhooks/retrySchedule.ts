import { jitteredDelay } from '../scheduling/index.js';

export interface RetryScheduleOptions {
  /** Wait after the first failed attempt; each further failure doubles it ... */
  firstDelayMs: number;
  /** ... up to this. */
  maxDelayMs: number;
  /** Retries stop once the next attempt would start later than this after the schedule began. */
  giveUpAfterMs: number;
  /** Fraction of each wait drawn at random (so endpoints that failed together are not retried together). */
  jitter: number;
}

export const retryScheduleDefaults: RetryScheduleOptions = {
  firstDelayMs: 5_000,
  maxDelayMs: 60 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
  jitter: 0.25,
};

/**
 * When a failed delivery is tried again: exponential backoff with jitter (wait n is
 * `firstDelayMs * 2^(n-1)`, at most `maxDelayMs`, of which up to `jitter` is drawn off at random),
 * or null when that would be past `giveUpAfterMs` from the schedule's start: the delivery has failed.
 */
export function nextAttemptAt(
  failedAttempts: number,
  scheduleStartAt: number,
  now: number,
  options: RetryScheduleOptions = retryScheduleDefaults,
  random: () => number = Math.random,
): number | null {
  const exponent = Math.min(Math.max(0, failedAttempts - 1), 30);
  const delay = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** exponent);
  const next = now + Math.round(jitteredDelay(delay, options.jitter, random));
  return next - scheduleStartAt > options.giveUpAfterMs ? null : next;
}
