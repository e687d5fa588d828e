/** How far below its threshold a count-driven piece of work may come due: a quarter. */
export const defaultThresholdSpread = 0.25;

/**
 * Whether work that is due every `threshold` events (a compaction every 256 appends) is due at
 * the `count`-th, with the moment drawn uniformly between `(1 - spread) x threshold` and
 * `threshold` (issue 14). Documents created together and written at one rate (a connect storm,
 * then steady typing) would otherwise reach the threshold in the same second, round after round,
 * and all compact at once. Drawn anew at each count, so it needs no state: given that it was not
 * due at the counts before, the chance at `count` is one over the counts left to `threshold`, which
 * makes each count of the range equally likely, and at `threshold` it is always due. Never later
 * than the threshold promised; the average comes `spread / 2` of it earlier.
 */
export function dueWithinSpread(count: number, threshold: number, random: () => number = Math.random, spread = defaultThresholdSpread): boolean {
  if (count >= threshold) return true;
  const earliest = Math.ceil(threshold * (1 - spread));
  if (count < earliest) return false;
  return random() * (threshold - count + 1) < 1;
}
