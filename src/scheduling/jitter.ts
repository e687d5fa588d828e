/**
 * A delay of at most `delayMs` and at least `(1 - spread) * delayMs`: timers that many objects
 * start at the same moment (sessions created by one connect storm) then fire spread over the
 * window instead of in one tick, and none fires later than it promised.
 */
export function jitteredDelay(delayMs: number, spread = 0.25, random: () => number = Math.random): number {
  return delayMs * (1 - spread * random());
}
