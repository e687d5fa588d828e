import { machineBusySeconds, ownCpuSeconds, processCpuSeconds } from './processCpu.js';
import type { RedisProbe } from './redisProbe.js';

/**
 * A step during which other processes kept this much of the machine busy (% of one core) was
 * disturbed: its figures say little about the server, so a failing one is run once more.
 */
export const disturbedOtherCpuPercent = 25;

/** CPU counters at one edge of a measured window. */
export interface CpuSample {
  machine: number;
  server: number;
  load: number;
  redis: Promise<number> | null;
}

/** CPU seconds spent between the two edges of a window. */
export interface CpuDelta {
  machine: number;
  server: number;
  load: number;
  redis: number | null;
}

/** The machine's, the server processes', the generator's and (if any) Redis' CPU counters now. */
export function sampleCpu(serverPids: readonly number[], redis: RedisProbe | null): CpuSample {
  const redisSeconds = redis ? redis.cpuSeconds() : null;
  // A failure surfaces when the delta awaits it; until then it must not count as unhandled.
  redisSeconds?.catch(() => undefined);
  return { machine: machineBusySeconds(), server: sumOf(serverPids, processCpuSeconds), load: ownCpuSeconds(), redis: redisSeconds };
}

/** The difference between the samples taken as the window opened and closed. */
export async function cpuDelta(samples: readonly CpuSample[]): Promise<CpuDelta> {
  const [before, after] = samples;
  if (!before || !after) throw new Error('the open loop did not sample CPU at both window edges');
  const redis = before.redis && after.redis ? (await after.redis) - (await before.redis) : null;
  return { machine: after.machine - before.machine, server: after.server - before.server, load: after.load - before.load, redis };
}

export function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
