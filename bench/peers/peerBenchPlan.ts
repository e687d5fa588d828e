import type { IdleSpec } from './scenarios/idleScenario.js';
import type { JoinSpec } from './scenarios/joinScenario.js';
import type { LoadScenarioSpec } from './scenarios/loadScenario.js';
import type { StormSpec } from './scenarios/stormScenario.js';

export type ScenarioKey = 'fan-out' | 'hot' | 'busy' | 'idle' | 'join' | 'storm';
export const scenarioKeys: readonly ScenarioKey[] = ['fan-out', 'hot', 'busy', 'idle', 'join', 'storm'];

/**
 * Scenarios that share one server start. Each load gets a fresh process (its CPU figures must
 * not carry an earlier load's heap or JIT state); idle, join and storm measure memory and
 * times, so they share one (idle first, on the fresh process, where its RSS delta is clean).
 */
export const scenarioGroups: readonly (readonly ScenarioKey[])[] = [['fan-out'], ['hot'], ['busy'], ['idle', 'join', 'storm']];

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
  loads: Record<'fan-out' | 'hot' | 'busy', LoadScenarioSpec>;
  idle: IdleSpec;
  join: JoinSpec;
  storm: StormSpec;
  /** No further server start after this much of the run (its scenarios are reported as not run). */
  budgetMs: number;
  /** The whole run is killed after this, whatever happens (a hang, not a slow run). */
  hardLimitMs: number;
}

/** A ladder stops above this p99; the goals of issue 5 ask for p99 <= 50 ms at the table's loads. */
export const ladderP99LimitMs = 100;
export const goalP99Ms = 50;

/** The table of issue 5. The busy document's first rung is the table's load, the rest the ladder. */
function loads(ladder: readonly number[]): BenchPlan['loads'] {
  return {
    'fan-out': { key: 'fan-out', title: 'fan-out: 100 docs x 10 clients, 2 writers x 5/s', layout: { docs: 100, clientsPerDoc: 10, writersPerDoc: 2 }, perWriterRates: [5] },
    hot: { key: 'hot', title: 'hot doc: 1 doc x 300 clients, 5 writers x 20/s', layout: { docs: 1, clientsPerDoc: 300, writersPerDoc: 5 }, perWriterRates: [20] },
    busy: { key: 'busy', title: 'busy doc: 1 doc x 100 clients, 10 writers x 30/s', layout: { docs: 1, clientsPerDoc: 100, writersPerDoc: 10 }, perWriterRates: [30, ...ladder] },
  };
}

export const fullPlan: BenchPlan = {
  mode: 'full',
  // Long enough for the servers' JIT to settle: at 2 s, TurboFan still took ~15% of our busy-doc CPU in the window.
  warmupMs: 4_000,
  measureMs: 15_000,
  ladderWarmupMs: 2_000,
  ladderMeasureMs: 8_000,
  ladderBudgetMs: 50_000,
  loads: loads([60, 120, 240, 480]),
  idle: { connections: 5_000, docs: 50, settleMs: 2_000 },
  join: { targetBytes: 5 * 1024 * 1024, joins: 5 },
  storm: { clients: 1_000, docs: 10 },
  budgetMs: 13 * 60_000,
  hardLimitMs: 16 * 60_000,
};

export const quickPlan: BenchPlan = {
  mode: 'quick',
  warmupMs: 500,
  measureMs: 1_500,
  ladderWarmupMs: 500,
  ladderMeasureMs: 1_500,
  ladderBudgetMs: 6_000,
  loads: loads([60]),
  idle: { connections: 5_000, docs: 50, settleMs: 750 },
  join: { targetBytes: 5 * 1024 * 1024, joins: 3 },
  storm: { clients: 1_000, docs: 10 },
  budgetMs: 150_000,
  hardLimitMs: 4 * 60_000,
};
