import { performance } from 'node:perf_hooks';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { ladderP99LimitMs, type BenchPlan, type ScenarioKey } from './peerBenchPlan.js';
import { runIdleScenario, type IdleResult } from './scenarios/idleScenario.js';
import { runJoinScenario, type JoinResult } from './scenarios/joinScenario.js';
import { runLoadScenario, type LoadScenarioResult } from './scenarios/loadScenario.js';
import { runStormScenario, type StormResult } from './scenarios/stormScenario.js';
import type { ServerSpec, StartContext } from './serverLineup.js';

export type ScenarioOutcome = LoadScenarioResult | IdleResult | JoinResult | StormResult | { kind: 'error'; message: string };

/** One scenario on one server. */
export interface ScenarioRun {
  scenario: ScenarioKey;
  server: ServerSpec;
  outcome: ScenarioOutcome;
  seconds: number;
}

/**
 * Starts the server fresh (nothing left from an earlier load: memory, documents, JIT state),
 * runs the group's scenarios in order on it, stops it. A failure is that scenario's outcome,
 * not the run's end; the next scenario of the group still gets its try.
 */
export async function runScenarioGroup(group: readonly ScenarioKey[], spec: ServerSpec, plan: BenchPlan, context: StartContext, namePrefix: (scenario: ScenarioKey) => string): Promise<ScenarioRun[]> {
  process.stderr.write(`  ${spec.title}\n`);
  const runs: ScenarioRun[] = [];
  let server: RunningServer | null = null;
  try {
    server = await spec.start(context);
    for (const scenario of group) runs.push(await timedScenario(server, scenario, spec, plan, namePrefix(scenario)));
  } catch (error) {
    // The start failed: every scenario of the group shares that outcome.
    for (const scenario of group.slice(runs.length)) runs.push({ scenario, server: spec, outcome: failure(error), seconds: 0 });
  } finally {
    await server?.stop();
  }
  return runs;
}

async function timedScenario(server: RunningServer, scenario: ScenarioKey, spec: ServerSpec, plan: BenchPlan, namePrefix: string): Promise<ScenarioRun> {
  const started = performance.now();
  let outcome: ScenarioOutcome;
  try {
    outcome = await scenarioOn(server, scenario, plan, namePrefix);
  } catch (error) {
    outcome = failure(error);
  }
  return { scenario, server: spec, outcome, seconds: (performance.now() - started) / 1000 };
}

function failure(error: unknown): { kind: 'error'; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`    failed: ${message}\n`);
  return { kind: 'error', message };
}

function scenarioOn(server: RunningServer, scenario: ScenarioKey, plan: BenchPlan, namePrefix: string): Promise<Exclude<ScenarioOutcome, { kind: 'error' }>> {
  switch (scenario) {
    case 'fan-out':
    case 'hot':
    case 'busy':
    case 'many':
    case 'fan-out-long': {
      // A step fails above the ladder's limit; the report holds the table's loads to the goals.
      const spec = plan.loads[scenario];
      const window = spec.window ?? { warmupMs: plan.warmupMs, measureMs: plan.measureMs };
      const timing = { ...plan, ...window, p99LimitMs: ladderP99LimitMs, deadline: performance.now() + plan.ladderBudgetMs + window.warmupMs + window.measureMs };
      return runLoadScenario(server, spec, timing, namePrefix);
    }
    case 'idle':
      return runIdleScenario(server, plan.idle, namePrefix);
    case 'join':
      return runJoinScenario(server, plan.join, namePrefix);
    case 'storm-1k':
    case 'storm-5k':
      return runStormScenario(server, plan.storms[scenario], namePrefix);
  }
}
