import { parseArgs } from 'node:util';
import { parsedWithUsage } from '../shared/benchFlags.js';

export interface BenchArgs {
  /** Shape keys to run (all when not given). */
  only: string[] | null;
  /** Total offered updates/s per step, ascending. */
  ladder: number[] | null;
  /** Documents start level, so they compact at the same moments (see staggerDocuments.ts). */
  lockstep: boolean;
}

export const benchUsage = 'usage: node dist/bench/sync/main.js [--only mem,r1,r2] [--ladder 500,1000,2000] [--lockstep]';

/**
 * Optional flags for a shorter run while working on a hot path (the default is the full run
 * that writes the report). A bad flag stops the run before anything starts.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  return parsedWithUsage(benchUsage, () => parseSyncBenchFlags(argv));
}

function parseSyncBenchFlags(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({ args: [...argv], options: { only: { type: 'string' }, ladder: { type: 'string' }, lockstep: { type: 'boolean' } }, strict: true });
  const ladder = values.ladder === undefined ? null : values.ladder.split(',').map(Number);
  if (ladder && ladder.some((rate) => !Number.isInteger(rate) || rate <= 0)) throw new Error('--ladder needs positive integers');
  return { only: values.only === undefined ? null : values.only.split(','), ladder, lockstep: values.lockstep === true };
}
