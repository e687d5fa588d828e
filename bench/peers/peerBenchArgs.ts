import { parseArgs } from 'node:util';
import { parsedWithUsage } from '../shared/benchFlags.js';
import { scenarioKeys, type ScenarioKey } from './peerBenchPlan.js';

export interface PeerBenchArgs {
  quick: boolean;
  /** Server keys to run (all when null). */
  servers: string[] | null;
  scenarios: ScenarioKey[] | null;
}

export const peerBenchUsage = `usage: node dist/bench/peers/main.js [--quick] [--servers key,key] [--scenarios ${scenarioKeys.join(',')}]`;

/** A partial run (--servers, --scenarios) prints its report but writes no file. A bad flag stops before anything starts. */
export function parsePeerBenchArgs(argv: readonly string[]): PeerBenchArgs {
  return parsedWithUsage(peerBenchUsage, () => parsePeerFlags(argv));
}

function parsePeerFlags(argv: readonly string[]): PeerBenchArgs {
  const { values } = parseArgs({ args: [...argv], options: { quick: { type: 'boolean' }, servers: { type: 'string' }, scenarios: { type: 'string' } }, strict: true });
  const scenarios = values.scenarios === undefined ? null : values.scenarios.split(',');
  const unknown = scenarios?.filter((key) => !(scenarioKeys as readonly string[]).includes(key)) ?? [];
  if (unknown.length > 0) throw new Error(`--scenarios: unknown scenario ${unknown.join(', ')}`);
  return { quick: values.quick === true, servers: values.servers === undefined ? null : values.servers.split(','), scenarios: scenarios as ScenarioKey[] | null };
}
