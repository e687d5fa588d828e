import { loadKeys, stormKeys, type LoadKey, type ScenarioKey } from '../peerBenchPlan.js';
import type { LoadStepRow } from '../loadStep.js';
import type { ScenarioRun } from '../runScenario.js';
import { stepFailures } from '../scenarios/loadScenario.js';
import { ms, percent, ratio, table } from '../../report/reportFormat.js';
import { runOf } from './peerReportTables.js';

/** The reference of the tail and CPU goals, and the relay of the fan-out goal. */
const reference = 'y-websocket-server';
const relay = 'ws-relay';
/** Issue 16: wiresocket's Hocuspocus dialect against Hocuspocus itself. */
const hocuspocusPeer = 'hocuspocus';
const ourHocuspocusDialect = 'wiresocket-hocuspocus';
/** Issue 16: at most half of Hocuspocus's CPU per delivered update. */
export const goalHocuspocusCpuRatio = 0.5;
/** wiresocket's coalescing window when the command line names none (`--coalesce-max-ms`'s default). */
export const defaultCoalesceMaxMs = 25;
/** Issue 14: the event-loop delay of every wiresocket shape stays under this after warm-up. */
export const goalLoopMaxMs = 20;
/** The CPU goals count only while wiresocket's p99 at that load stays within this. */
export const goalCpuP99Ms = 50;

/** What makes a table load's row fail in the summary: short of exactly-once in-order delivery, or a bad final document (the tail is a goal). */
export function loadProblems(row: LoadStepRow, documentDiffers: boolean): string[] {
  const problems = stepFailures(row, Number.POSITIVE_INFINITY);
  if (documentDiffers) problems.push('final document differs');
  return problems;
}

/** The window in force for wiresocket: `--coalesce-max-ms` on the serve command line the bench passes, else the default. */
export function coalesceWindowMs(serveArgs: readonly string[]): number {
  const index = serveArgs.lastIndexOf('--coalesce-max-ms');
  const value = index >= 0 ? Number(serveArgs[index + 1]) : Number.NaN;
  return Number.isFinite(value) && value >= 0 ? value : defaultCoalesceMaxMs;
}

/**
 * Issue 14's tail limit: wiresocket may add to @y/websocket-server's p99 half of it or the
 * coalescing window in force, whichever is more (the reference has no window: 0).
 */
export function tailLimitMs(referenceP99Ms: number, windowMs: number): number {
  return Math.max(1.5 * referenceP99Ms, referenceP99Ms + windowMs);
}

function firstStep(runs: readonly ScenarioRun[], scenario: ScenarioKey, server: string): LoadStepRow | undefined {
  const outcome = runOf(runs, scenario, server)?.outcome;
  return outcome?.kind === 'load' ? outcome.steps[0] : undefined;
}

function figureOf(runs: readonly ScenarioRun[], scenario: ScenarioKey, server: string, pick: (outcome: ScenarioRun['outcome']) => number): number {
  const run = runOf(runs, scenario, server);
  return run ? pick(run.outcome) : Number.NaN;
}

function verdict(met: boolean | null): string {
  return met === null ? '-' : met ? 'met' : 'not met';
}

/** The wiresocket shapes of this run (that ran `scenario`, when given), in lineup order. */
function ourShapes(runs: readonly ScenarioRun[], scenario?: ScenarioKey): { key: string; title: string }[] {
  const shapes = new Map<string, string>();
  for (const run of runs) if (run.server.key.startsWith('wiresocket') && (scenario ?? run.scenario) === run.scenario) shapes.set(run.server.key, run.server.title);
  return [...shapes].map(([key, title]) => ({ key, title }));
}

/** The goals of issue 14, each as measured in this run, with its verdict. `windowMs`: wiresocket's coalescing window in force. */
export function goalLines(runs: readonly ScenarioRun[], windowMs: number): string[] {
  return [
    ...ratioGoals(runs),
    '',
    `### Tail: p99 <= max(1.5 x @y/websocket-server's p99, its p99 + ${windowMs} ms window in force), 100% delivery, event-loop max < ${goalLoopMaxMs} ms`,
    '',
    ...tailGoals(runs, windowMs),
  ];
}

function ratioGoals(runs: readonly ScenarioRun[]): string[] {
  const cpu = (scenario: ScenarioKey, server: string) => firstStep(runs, scenario, server)?.serverMicrosPerDelivery ?? Number.NaN;
  const withRedis = (scenario: ScenarioKey, server: string) => {
    const row = firstStep(runs, scenario, server);
    return row ? row.serverMicrosPerDelivery + (row.redisMicrosPerDelivery ?? 0) : Number.NaN;
  };
  const p99 = (scenario: ScenarioKey, server = 'wiresocket') => firstStep(runs, scenario, server)?.latency.p99 ?? Number.NaN;
  const idle = (server: string) => figureOf(runs, 'idle', server, (outcome) => (outcome.kind === 'idle' ? outcome.bytesPerConnection : Number.NaN));
  const join = (server: string) => figureOf(runs, 'join', server, (outcome) => (outcome.kind === 'join' ? outcome.medianMs : Number.NaN));
  const storm = (scenario: ScenarioKey, server: string) => figureOf(runs, scenario, server, (outcome) => (outcome.kind === 'storm' && outcome.errors === 0 ? outcome.allDoneMs : Number.NaN));
  const goal = (label: string, value: number, limit: number, also: { text: string; met: boolean } | null = null) => [
    label,
    `${ratio(value)}${also ? ` (${also.text})` : ''}`,
    `<= ${ratio(limit)}`,
    verdict(Number.isFinite(value) ? value <= limit && (also?.met ?? true) : null),
  ];
  const withinBudget = (scenario: ScenarioKey, server = 'wiresocket') => ({ text: `p99 ${ms(p99(scenario, server))} ms`, met: p99(scenario, server) <= goalCpuP99Ms });
  const rows = [
    goal(`busy doc: wiresocket / @y/websocket-server, CPU per delivery, with wiresocket's p99 <= ${goalCpuP99Ms} ms`, cpu('busy', 'wiresocket') / cpu('busy', reference), 0.33, withinBudget('busy')),
    goal(`hot doc: wiresocket / @y/websocket-server, with wiresocket's p99 <= ${goalCpuP99Ms} ms`, cpu('hot', 'wiresocket') / cpu('hot', reference), 0.5, withinBudget('hot')),
    goal('fan-out: wiresocket / bare ws relay, CPU per delivery', cpu('fan-out', 'wiresocket') / cpu('fan-out', relay), 1.2),
    ...(['hot', 'busy'] as const).map((scenario) =>
      goal(
        `${scenario}: wiresocket Hocuspocus dialect / Hocuspocus, CPU per delivery, with its p99 <= ${goalCpuP99Ms} ms`,
        cpu(scenario, ourHocuspocusDialect) / cpu(scenario, hocuspocusPeer),
        goalHocuspocusCpuRatio,
        withinBudget(scenario, ourHocuspocusDialect),
      ),
    ),
    ...stormKeys.flatMap((scenario) => ourShapes(runs, scenario).map(({ key, title }) => goal(`${scenario}: ${title} / @y/websocket-server, until all synced`, storm(scenario, key) / storm(scenario, reference), 1))),
    goal('idle memory per connection: wiresocket / @y/websocket-server', idle('wiresocket') / idle(reference), 0.8),
    goal('5 MiB join: wiresocket / the faster peer', join('wiresocket') / Math.min(join(reference), join('hocuspocus')), 1),
    ...(['fan-out', 'hot', 'busy'] as const).flatMap((scenario) => [
      goal(`${scenario}: Redis 1 node / memory (node CPU only)`, cpu(scenario, 'wiresocket-redis') / cpu(scenario, 'wiresocket'), 2),
      goal(`${scenario}: Redis 1 node / memory (node + redis-server CPU)`, withRedis(scenario, 'wiresocket-redis') / cpu(scenario, 'wiresocket'), 2),
    ]),
  ];
  return [...table(['comparison', 'measured', 'goal', 'verdict'], rows), '', '- a storm with errors has no time: its ratio reads "-".'];
}

/** Every table load x every wiresocket shape against @y/websocket-server's p99 at the same load, then each shape's worst event-loop max. */
function tailGoals(runs: readonly ScenarioRun[], windowMs: number): string[] {
  const rows = loadKeys.flatMap((scenario) => ourShapes(runs).flatMap(({ key, title }) => tailRow(runs, scenario, key, title, windowMs)));
  const loops = ourShapes(runs).map(({ key, title }) => {
    const maxima = loadKeys.map((scenario) => firstStep(runs, scenario, key)?.loopDelay?.maxMs ?? Number.NaN).filter(Number.isFinite);
    const worst = maxima.length > 0 ? Math.max(...maxima) : Number.NaN;
    return [title, ms(worst), `< ${goalLoopMaxMs}`, verdict(Number.isFinite(worst) ? worst < goalLoopMaxMs : null)];
  });
  return [
    ...table(['load', 'shape', 'p99 ms', '@y/websocket-server p99 ms', 'limit ms', 'delivery', 'verdict'], rows),
    '',
    ...table(['shape', 'event-loop max ms (worst table load, after warm-up)', 'goal', 'verdict'], loops),
  ];
}

function tailRow(runs: readonly ScenarioRun[], scenario: LoadKey, key: string, title: string, windowMs: number): string[][] {
  const row = firstStep(runs, scenario, key);
  if (!row) return runOf(runs, scenario, key) ? [[scenario, title, '-', '', '', '', 'not met (no step)']] : [];
  const referenceP99 = firstStep(runs, scenario, reference)?.latency.p99 ?? Number.NaN;
  const limit = tailLimitMs(referenceP99, windowMs);
  const exact = loadProblems(row, false).length === 0;
  const met = Number.isFinite(limit) ? row.latency.p99 <= limit && exact : null;
  return [[scenario, title, ms(row.latency.p99), ms(referenceP99), ms(limit), exact ? percent(row.delivery.percent) : `✗ ${percent(row.delivery.percent)}`, verdict(met)]];
}
