import type { LoadStepRow } from '../loadStep.js';
import { goalP99Ms, type ScenarioKey } from '../peerBenchPlan.js';
import type { ScenarioRun } from '../runScenario.js';
import { stepFailures } from '../scenarios/loadScenario.js';
import { ms, percent, ratio, table } from '../../report/reportFormat.js';
import { runOf } from './peerReportTables.js';

/** What makes a table load's row fail: short of exactly-once in-order delivery, a bad final document, p99 over the goal. */
export function loadProblems(row: LoadStepRow, documentDiffers: boolean): string[] {
  const problems = stepFailures(row, goalP99Ms).map((reason) => reason.replace(/ ms > \d+ ms$/, ' ms'));
  if (documentDiffers) problems.push('final document differs');
  return problems;
}

function loadFigure(runs: readonly ScenarioRun[], scenario: ScenarioKey, server: string, pick: (row: LoadStepRow) => number): number {
  const outcome = runOf(runs, scenario, server)?.outcome;
  return outcome?.kind === 'load' && outcome.steps[0] ? pick(outcome.steps[0]) : Number.NaN;
}

/** The goals of issue 5, each as measured in this run, with its verdict. */
export function goalLines(runs: readonly ScenarioRun[]): string[] {
  const cpu = (scenario: ScenarioKey, server: string) => loadFigure(runs, scenario, server, (row) => row.serverMicrosPerDelivery);
  const withRedis = (scenario: ScenarioKey, server: string) => loadFigure(runs, scenario, server, (row) => row.serverMicrosPerDelivery + (row.redisMicrosPerDelivery ?? 0));
  const idle = (server: string) => figureOf(runs, 'idle', server, (outcome) => (outcome.kind === 'idle' ? outcome.bytesPerConnection : Number.NaN));
  const join = (server: string) => figureOf(runs, 'join', server, (outcome) => (outcome.kind === 'join' ? outcome.medianMs : Number.NaN));
  const goal = (label: string, value: number, limit: number) => [label, ratio(value), `<= ${ratio(limit)}`, Number.isFinite(value) ? (value <= limit ? 'met' : 'not met') : '-'];
  const rows = [
    goal('busy doc: wiresocket / @y/websocket-server, CPU per delivery', cpu('busy', 'wiresocket') / cpu('busy', 'y-websocket-server'), 1 / 3),
    goal('hot doc: wiresocket / @y/websocket-server', cpu('hot', 'wiresocket') / cpu('hot', 'y-websocket-server'), 1 / 2),
    goal('fan-out: wiresocket / bare ws relay', cpu('fan-out', 'wiresocket') / cpu('fan-out', 'ws-relay'), 1),
    goal('idle memory per connection: wiresocket / @y/websocket-server', idle('wiresocket') / idle('y-websocket-server'), 0.8),
    goal('5 MiB join: wiresocket / the faster peer', join('wiresocket') / Math.min(join('y-websocket-server'), join('hocuspocus')), 1),
    ...(['fan-out', 'hot', 'busy'] as const).flatMap((scenario) => [
      goal(`${scenario}: Redis 1 node / memory (node CPU only)`, cpu(scenario, 'wiresocket-redis') / cpu(scenario, 'wiresocket'), 2),
      goal(`${scenario}: Redis 1 node / memory (node + redis-server CPU)`, withRedis(scenario, 'wiresocket-redis') / cpu(scenario, 'wiresocket'), 2),
    ]),
  ];
  return [...table(['comparison', 'measured', 'goal', 'verdict'], rows), '', ...latencyGoal(runs)];
}

function figureOf(runs: readonly ScenarioRun[], scenario: ScenarioKey, server: string, pick: (outcome: ScenarioRun['outcome']) => number): number {
  const run = runOf(runs, scenario, server);
  return run ? pick(run.outcome) : Number.NaN;
}

/** p99 <= 50 ms and 100% delivery at every table load, for every wiresocket shape (two nodes: same counts). */
function latencyGoal(runs: readonly ScenarioRun[]): string[] {
  const ours = runs.filter((run) => run.server.key.startsWith('wiresocket') && run.outcome.kind === 'load');
  const failing = ours.flatMap((run) => {
    if (run.outcome.kind !== 'load' || !run.outcome.steps[0]) return [`${run.server.title} ${run.scenario}: no step`];
    const problems = loadProblems(run.outcome.steps[0], false);
    return problems.length > 0 ? [`${run.server.title} ${run.scenario}: ${problems.join(', ')}`] : [];
  });
  const worst = Math.max(...ours.map((run) => (run.outcome.kind === 'load' && run.outcome.steps[0] ? run.outcome.steps[0].latency.p99 : Number.NaN)));
  return [
    `- p99 <= ${goalP99Ms} ms and 100% delivery at every table load, all wiresocket shapes (2 nodes included): ${failing.length === 0 ? `met (worst p99 ${ms(worst)} ms)` : `not met: ${failing.join('; ')}`}`,
    `- delivery of every shape: ${percentSummary(runs)}`,
  ];
}

function percentSummary(runs: readonly ScenarioRun[]): string {
  const loads = runs.filter((run) => run.outcome.kind === 'load');
  const short = loads.filter((run) => run.outcome.kind === 'load' && run.outcome.steps[0] && run.outcome.steps[0].delivery.percent < 100);
  if (short.length === 0) return 'every server 100% at every table load';
  return short.map((run) => `${run.server.title} ${run.scenario} ${run.outcome.kind === 'load' ? percent(run.outcome.steps[0].delivery.percent) : ''}`).join('; ');
}
