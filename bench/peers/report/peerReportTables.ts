import type { LoadStepRow } from '../loadStep.js';
import type { ScenarioKey } from '../peerBenchPlan.js';
import type { ScenarioRun } from '../runScenario.js';
import type { LoadScenarioResult } from '../scenarios/loadScenario.js';
import type { ServerSpec } from '../serverLineup.js';
import type { Verification } from '../verifyDocuments.js';
import { kib, mib, micros, ms, percent, table } from '../../report/reportFormat.js';
import { loopProbeResolutionMs } from '../../shared/loopProbeMessages.js';
import { disturbedOtherCpuPercent } from '../../shared/windowCpu.js';

export function runOf(runs: readonly ScenarioRun[], scenario: ScenarioKey, server: string): ScenarioRun | undefined {
  return runs.find((run) => run.scenario === scenario && run.server.key === server);
}

const loadHeader = [
  'server',
  'per writer/s',
  'sent upd/s',
  'deliveries/s',
  'delivery',
  'missing',
  'dup',
  'out of order',
  'echo missing/dup',
  'p50 ms',
  'p99 ms',
  'max ms',
  'loop max ms',
  'loop p99 ms',
  'echo p99 ms',
  'server CPU',
  'server µs/delivery',
  'redis µs/delivery',
  'loadgen CPU',
  'loadgen µs/delivery',
  'other CPU',
  'max send lag ms',
];

function loadCells(server: string, row: LoadStepRow): string[] {
  return [
    server,
    String(row.perWriterRate),
    row.sentPerSecond.toFixed(0),
    row.deliveredPerSecond.toFixed(0),
    percent(row.delivery.percent),
    String(row.delivery.missing),
    String(row.delivery.duplicates),
    String(row.outOfOrder),
    `${row.echo.missing}/${row.echo.duplicates}`,
    ms(row.latency.p50),
    ms(row.latency.p99),
    ms(row.latency.max),
    row.loopDelay === null ? '-' : ms(row.loopDelay.maxMs),
    row.loopDelay === null ? '-' : ms(row.loopDelay.p99Ms),
    ms(row.echoLatency.p99),
    `${row.serverCpuPercent.toFixed(0)}%`,
    micros(row.serverMicrosPerDelivery),
    row.redisMicrosPerDelivery === null ? '-' : micros(row.redisMicrosPerDelivery),
    `${row.loadCpuPercent.toFixed(0)}%`,
    micros(row.loadMicrosPerDelivery),
    `${row.otherCpuPercent.toFixed(0)}%${row.otherCpuPercent >= disturbedOtherCpuPercent ? ' ⚠' : ''}`,
    ms(row.maxLagMs),
  ];
}

/** The per-scenario tables after the summary. */
export function detailSections(servers: readonly ServerSpec[], runs: readonly ScenarioRun[]): string[] {
  return [
    ...section('Fan-out: 100 docs x 10 clients, 2 writers x 5/s', 'fan-out', servers, runs),
    ...section('Hot doc: 1 doc x 300 clients, 5 writers x 20/s', 'hot', servers, runs),
    ...section('Busy doc and scale-up ladder: 1 doc x 100 clients, 10 writers, from 30/s each, doubling', 'busy', servers, runs),
    ...section('Many documents: 1,000 docs x 3 clients, 1 writer x 2/s', 'many', servers, runs),
    ...section('Fan-out, long: 100 docs x 10 clients, 2 writers x 10/s, every document compacting several times', 'fan-out-long', servers, runs),
    ...section('Idle connections', 'idle', servers, runs),
    ...section('Fresh client joins a 5 MiB document', 'join', servers, runs),
    ...section('Connect storm: 1,000 clients over 100 documents at once', 'storm-1k', servers, runs),
    ...section('Connect storm: 5,000 clients over 1,000 documents at once', 'storm-5k', servers, runs),
  ];
}

function section(title: string, scenario: ScenarioKey, servers: readonly ServerSpec[], runs: readonly ScenarioRun[]): string[] {
  const mine = servers.map((server) => runOf(runs, scenario, server.key)).filter((run): run is ScenarioRun => run !== undefined);
  if (mine.length === 0) return [];
  return [`## ${title}`, '', ...sectionBody(scenario, mine), ''];
}

function sectionBody(scenario: ScenarioKey, runs: readonly ScenarioRun[]): string[] {
  const errors = runs.flatMap((run) => (run.outcome.kind === 'error' ? [`- ${run.server.title}: ✗ ${run.outcome.message}`] : []));
  const body = (() => {
    switch (scenario) {
      case 'fan-out':
      case 'hot':
      case 'busy':
      case 'many':
      case 'fan-out-long':
        return loadBody(runs);
      case 'idle':
        return idleBody(runs);
      case 'join':
        return joinBody(runs);
      case 'storm-1k':
      case 'storm-5k':
        return stormBody(runs);
    }
  })();
  return [...body, ...(errors.length > 0 ? ['', ...errors] : []), '', runs.map((run) => `${run.server.title} ${run.seconds.toFixed(0)} s`).join(', ') + ' (wall time of the scenario)'];
}

function loadResults(runs: readonly ScenarioRun[]): { run: ScenarioRun; outcome: LoadScenarioResult }[] {
  return runs.flatMap((run) => (run.outcome.kind === 'load' ? [{ run, outcome: run.outcome }] : []));
}

function loadBody(runs: readonly ScenarioRun[]): string[] {
  const results = loadResults(runs);
  const rows = results.flatMap(({ run, outcome }) => outcome.steps.map((row) => loadCells(run.server.title, row)));
  const notes = results.map(({ run, outcome }) => `- ${run.server.title}: ${outcome.stopReason}; connected in ${ms(outcome.connectMs)} ms; final documents: ${describeVerification(outcome.verification)}`);
  return [...table(loadHeader, rows), '', ...notes];
}

function describeVerification(verification: Verification): string {
  if (verification.kind === 'skipped') return `not checked (${verification.reason})`;
  const all = verification.equal === verification.documents;
  return all ? `all ${verification.documents} equal to what the writers wrote` : `✗ ${verification.documents - verification.equal} of ${verification.documents} differ (first: ${verification.firstMismatch})`;
}

function idleBody(runs: readonly ScenarioRun[]): string[] {
  const settle = runs.map((run) => run.outcome).find((outcome) => outcome.kind === 'idle');
  const rest = settle?.kind === 'idle' ? `${settle.settleMs / 1000} s` : '-';
  const rows = runs.flatMap((run) => {
    const o = run.outcome;
    return o.kind === 'idle' ? [[run.server.title, String(o.connections), String(o.docs), mib(o.rssBeforeBytes), mib(o.rssAfterBytes), kib(o.bytesPerConnection), ms(o.connectMs), String(o.closes)]] : [];
  });
  return [
    ...table(['server', 'connections', 'docs', 'RSS before', 'RSS after', 'RSS per connection', 'connect ms', 'closed by server'], rows),
    '',
    `- RSS of all server processes (VmRSS), before: after 100 warm-up connections (kept open) and ${rest} of rest; after: ${rest} after the last connect. No GC is forced.`,
  ];
}

function joinBody(runs: readonly ScenarioRun[]): string[] {
  const rows = runs.flatMap((run) => {
    const o = run.outcome;
    if (o.kind === 'skipped') return [[run.server.title, '-', '-', '-', '-', '-', o.reason]];
    return o.kind === 'join' ? [[run.server.title, mib(o.docBytes), ms(o.buildMs), o.joinMs.map(ms).join(', '), ms(o.medianMs), ms(o.maxMs), `${o.verified}/${o.joinMs.length}`]] : [];
  });
  return [
    ...table(['server', 'document', 'build ms (write + echo)', 'joins ms', 'median ms', 'max ms', 'copies equal'], rows),
    '',
    '- join: from `new WebSocket` to the server\'s sync step 2 (the whole document) on a fresh client; one join after another; on 2 nodes, alternately on the node that did not take the writes.',
  ];
}

function stormBody(runs: readonly ScenarioRun[]): string[] {
  const rows = runs.flatMap((run) => {
    const o = run.outcome;
    return o.kind === 'storm' ? [[run.server.title, String(o.clients), String(o.docs), ms(o.allDoneMs), ms(o.perClient.p50), ms(o.perClient.p99), String(o.errors), `${o.serverCpuPercent.toFixed(0)}%`, `${o.loadCpuPercent.toFixed(0)}%`, o.firstError ?? '']] : [];
  });
  return [
    ...table(['server', 'clients', 'docs', 'all done ms', 'p50 ms', 'p99 ms', 'errors', 'server CPU', 'loadgen CPU', 'first error'], rows),
    '',
    '- every socket opened in the same event-loop turn; per-client times from that moment to its sync step 2.',
    '- server / loadgen CPU: % of one core over the storm; a generator near 100% (its own core) would be timing itself, not the server.',
  ];
}

export const loadColumnNotes = [
  '## Columns',
  '',
  '- per writer/s: the open-loop rate of each writer; sent upd/s: what the generator really sent in the window, over all writers.',
  '- deliveries/s: updates arriving at a socket of their document other than their sender\'s, in the window, per second.',
  '  Each received frame is decoded (Y.decodeUpdate, cached per distinct frame) into (writer, clock) ranges: a frame may',
  '  carry one update or many merged ones; an update is delivered when its clock has arrived.',
  '- delivery, missing, dup, out of order: over every update of the step (warm-up included) at every other socket;',
  '  exactly once in order is 100%, 0, 0, 0. echo missing/dup: the same at the sender\'s own socket.',
  '- p50/p99/max: send (just before `ws.send`) to arrival of the frame that completed the update at another socket,',
  '  for the updates sent in the window; echo p99: the same at the sender\'s socket.',
  '- loop max/p99: the server\'s event-loop delay in the window (after warm-up), from `perf_hooks.monitorEventLoopDelay` preloaded',
  `  into every server process alike (\`--import dist/bench/shared/loopDelayProbe.js\`, ${loopProbeResolutionMs} ms resolution: reads low by up to ${loopProbeResolutionMs} ms); 2 nodes: the worse node.`,
  '- server CPU: user + system time of every server process (/proc/<pid>/stat, all threads) in the window, % of one core;',
  '  server µs/delivery: that CPU time per delivery; redis µs/delivery: redis-server\'s (INFO cpu) per delivery.',
  '- loadgen: the load generator\'s own CPU (process.cpuUsage), likewise; other CPU: busy time of the machine',
  `  (/proc/stat, both cores, steal included) used by none of the above; ⚠ (>= ${disturbedOtherCpuPercent}%): another process competed`,
  '  for the cores during that step, so its latencies overstate the server\'s (a failing one was run once more).',
  '- max send lag: how far a send fell behind its schedule (the generator, not the server, is the limit when it grows).',
];
