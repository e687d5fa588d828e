import type { IdleSpec } from './scenarios/idleScenario.js';
import type { JoinSpec } from './scenarios/joinScenario.js';
import type { LoadScenarioSpec } from './scenarios/loadScenario.js';
import type { StormSpec } from './scenarios/stormScenario.js';

/** The loads of the table (each a fresh server, run for every server). */
export type LoadKey = 'fan-out' | 'hot' | 'busy' | 'many' | 'fan-out-long';
export const loadKeys: readonly LoadKey[] = ['fan-out', 'hot', 'busy', 'many', 'fan-out-long'];
/** The two connect storms of issue 14. */
export type StormKey = 'storm-1k' | 'storm-5k';
export const stormKeys: readonly StormKey[] = ['storm-1k', 'storm-5k'];
export type ScenarioKey = LoadKey | 'idle' | 'join' | StormKey;
export const scenarioKeys: readonly ScenarioKey[] = [...loadKeys, 'idle', 'join', ...stormKeys];

export function isLoadKey(key: ScenarioKey): key is LoadKey {
  return (loadKeys as readonly string[]).includes(key);
}

/**
 * Scenarios that share one server start. Each load gets a fresh process (its CPU figures must
 * not carry an earlier load's heap or JIT state); idle, join and storm measure memory and
 * times, so they share one (idle first, on the fresh process, where its RSS delta is clean).
 */
export const scenarioGroups: readonly (readonly ScenarioKey[])[] = [...loadKeys.map((key) => [key]), ['idle', 'join', ...stormKeys]];

/** Everything that differs between `npm run bench` and `npm run bench:quick`. */
export interface BenchPlan {
  mode: 'full' | 'quick';
  /** Warm-up and window of the table's loads (first step of each load scenario). */
  warmupMs: number;
  measureMs: number;
  /** Warm-up and window of the ladder's further steps (shorter: they only need to show the trend). */
  ladderWarmupMs: number;
  ladderMeasureMs: number;
  /** The ladder of one server may run this long before its remaining steps are skipped. */
  ladderBudgetMs: number;
  loads: Record<LoadKey, LoadScenarioSpec>;
  idle: IdleSpec;
  join: JoinSpec;
  storms: Record<StormKey, StormSpec>;
  /** No further server start after this much of the run (its scenarios are reported as not run). */
  budgetMs: number;
  /** The whole run is killed after this, whatever happens (a hang, not a slow run). */
  hardLimitMs: number;
}

/** A ladder stops above this p99 (the goals, in report/peerGoals.ts, are stricter). */
export const ladderP99LimitMs = 100;

/**
 * The long fan-out's Redis compaction interval: at 2 writers x 10/s a document takes 20 updates/s,
 * so 250 compacts it every 12.5 s (the default 500: twice a minute); the memory sync layer
 * compacts every 256 updates (src/sync/memorySyncLayer.ts). Both compact several times a run.
 */
export const longFanOutRedisCompactEveryUpdates = 250;

/**
 * The table of issues 5 and 14. The busy document's first rung is the table's load, the rest the
 * ladder; the long fan-out runs its own window (`longMeasureMs`) so every document compacts.
 */
function loads(ladder: readonly number[], longWindow: { warmupMs: number; measureMs: number }): BenchPlan['loads'] {
  return {
    'fan-out': { key: 'fan-out', title: 'fan-out: 100 docs x 10 clients, 2 writers x 5/s', layout: { docs: 100, clientsPerDoc: 10, writersPerDoc: 2 }, perWriterRates: [5] },
    hot: { key: 'hot', title: 'hot doc: 1 doc x 300 clients, 5 writers x 20/s', layout: { docs: 1, clientsPerDoc: 300, writersPerDoc: 5 }, perWriterRates: [20] },
    busy: { key: 'busy', title: 'busy doc: 1 doc x 100 clients, 10 writers x 30/s', layout: { docs: 1, clientsPerDoc: 100, writersPerDoc: 10 }, perWriterRates: [30, ...ladder] },
    many: { key: 'many', title: 'many documents: 1,000 docs x 3 clients, 1 writer x 2/s', layout: { docs: 1_000, clientsPerDoc: 3, writersPerDoc: 1 }, perWriterRates: [2] },
    'fan-out-long': {
      key: 'fan-out-long',
      title: `fan-out, long: 100 docs x 10 clients, 2 writers x 10/s, ${longWindow.measureMs / 1000} s measured`,
      layout: { docs: 100, clientsPerDoc: 10, writersPerDoc: 2 },
      perWriterRates: [10],
      window: longWindow,
      redisServeFlags: ['--redis-compact-every-updates', String(longFanOutRedisCompactEveryUpdates)],
    },
  };
}

/** Every socket opened at once, until all are synced: the same in both modes (they take seconds). */
const stormSpecs: BenchPlan['storms'] = {
  'storm-1k': { clients: 1_000, docs: 100 },
  'storm-5k': { clients: 5_000, docs: 1_000 },
};

export const fullPlan: BenchPlan = {
  mode: 'full',
  // Long enough for the servers' JIT to settle: at 2 s, TurboFan still took ~15% of our busy-doc CPU in the window.
  warmupMs: 4_000,
  measureMs: 15_000,
  ladderWarmupMs: 2_000,
  ladderMeasureMs: 8_000,
  ladderBudgetMs: 50_000,
  // 64 s at 20 updates/s per document: 1,280 updates, 5 compactions in memory and in Redis (at 250).
  loads: loads([60, 120, 240, 480], { warmupMs: 4_000, measureMs: 60_000 }),
  idle: { connections: 5_000, docs: 50, settleMs: 2_000 },
  join: { targetBytes: 5 * 1024 * 1024, joins: 5 },
  storms: stormSpecs,
  // ~24 minutes measured on the 2-core VM; the budget leaves room for a slow start or a retried step.
  budgetMs: 27 * 60_000,
  hardLimitMs: 32 * 60_000,
};

export const quickPlan: BenchPlan = {
  mode: 'quick',
  warmupMs: 500,
  measureMs: 1_500,
  ladderWarmupMs: 500,
  ladderMeasureMs: 1_500,
  ladderBudgetMs: 6_000,
  loads: loads([60], { warmupMs: 500, measureMs: 3_000 }),
  idle: { connections: 5_000, docs: 50, settleMs: 750 },
  join: { targetBytes: 5 * 1024 * 1024, joins: 3 },
  storms: stormSpecs,
  budgetMs: 5 * 60_000,
  hardLimitMs: 7 * 60_000,
};
