/**
 * Issue 6: a soak of 2,000 connections editing 200 documents for 30 minutes (`npm run soak`,
 * or `npm run soak -- --minutes N`), loopback only, killed at N + 3 minutes whatever happens.
 * Samples the server's RSS and event-loop p99 every minute; at the end checks that every
 * update reached every connected editor and every document converged. The report goes to
 * stdout and docs/benchmarks/soak.md (every minute also to soak.csv); exit code 1 on FAIL.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { serverLineup, wiresocketBenchEnvLine } from '../peers/serverLineup.js';
import { commandLine } from '../report/commandLine.js';
import { machineInfo } from '../report/machineInfo.js';
import { ms } from '../report/reportFormat.js';
import { armHardLimit, killChildrenOnExit, runBenchmark } from '../shared/childProcesses.js';
import { repoRoot, serveArguments } from '../shared/serveProcess.js';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { sleep } from '../shared/withDeadline.js';
import { SoakLoad } from './soakLoad.js';
import { SoakMeter } from './soakMeter.js';
import { parseSoakArgs, type SoakPlan } from './soakPlan.js';
import { renderSoakCsv, renderSoakReport, soakFailures, type SoakOutcome } from './soakReport.js';
import { serverRunning, SoakSampler, type SoakRow } from './soakSampler.js';
import { SoakSchedule } from './soakSchedule.js';
import { verifySoakDocuments } from './soakVerify.js';

const reportDirectory = path.join(repoRoot, 'docs', 'benchmarks');
/** How often the run looks whether the server still runs (a crash ends the run at once). */
const crashCheckMs = 1_000;

async function main(): Promise<number> {
  const started = performance.now();
  const argv = process.argv.slice(2);
  const plan = parseSoakArgs(argv);
  killChildrenOnExit();
  armHardLimit(plan.hardLimitMs);
  const spec = (await serverLineup()).find((candidate) => candidate.key === 'wiresocket');
  if (!spec) throw new Error('the server lineup has no wiresocket (memory) entry');
  // Memory sync layer: the Redis fields of the start context are not used.
  const server = await spec.start({ commandPrefix: [], redisUrl: '', redisKeyPrefix: '' });
  const meter = new SoakMeter();
  const load = new SoakLoad(server, plan, meter, `soak-${randomBytes(3).toString('hex')}`);
  let outcome: SoakOutcome;
  try {
    outcome = await runSoak(server, load, meter, plan);
  } finally {
    load.closeAll();
    progress('stopping the server');
    await server.stop();
  }
  const report = renderSoakReport(
    {
      machine: machineInfo(),
      date: new Date().toISOString(),
      command: ['npm run soak', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
      serveCommand: `${wiresocketBenchEnvLine()} ${commandLine(serveArguments({ dataDir: '<tmp>', graceMs: 1_000, commandPrefix: [] }))}`,
      durationSeconds: (performance.now() - started) / 1000,
    },
    outcome,
  );
  process.stdout.write(report);
  await mkdir(reportDirectory, { recursive: true });
  await writeFile(path.join(reportDirectory, 'soak.md'), report);
  await writeFile(path.join(reportDirectory, 'soak.csv'), renderSoakCsv(outcome.rows));
  progress('written to docs/benchmarks/soak.md and soak.csv');
  return soakFailures(outcome).length === 0 ? 0 : 1;
}

/** Connect, run and sample, then drain and verify; a crash or a failing stage still yields a report. */
async function runSoak(server: RunningServer, load: SoakLoad, meter: SoakMeter, plan: SoakPlan): Promise<SoakOutcome> {
  const connectStarted = performance.now();
  progress(`connecting ${load.connections.length} editors to ${load.docNames.length} documents`);
  await load.connectAll();
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const sampler = new SoakSampler(server, load, meter);
  const schedule = new SoakSchedule(load, plan);
  const rows: SoakRow[] = [];
  let aborted: string | null = null;
  let tally: SoakOutcome['tally'] = null;
  let verification: SoakOutcome['verification'] = null;
  try {
    await sampler.begin();
    const start = performance.now();
    schedule.start();
    progress(`connected in ${connectSeconds.toFixed(1)} s; editing for ${plan.minutes} min`);
    for (let minute = 1; minute <= plan.minutes && aborted === null; minute++) {
      aborted = await waitWhileServerRuns(server, start + minute * 60_000);
      if (aborted !== null) break;
      const row = await sampler.sample(minute);
      rows.push(row);
      progress(describeRow(row));
    }
    await schedule.stop();
    sampler.end();
    if (aborted === null) {
      progress('stopped editing; waiting for the last deliveries');
      tally = await load.finish();
      progress('verifying the documents');
      verification = await verifySoakDocuments(server, load);
    }
  } catch (error) {
    aborted ??= error instanceof Error ? error.message : String(error);
    await schedule.stop();
    sampler.end();
  }
  return {
    plan,
    rows,
    tally,
    verification,
    aborted,
    churned: load.churned,
    cuts: load.cuts,
    failedReconnects: load.failedReconnects,
    firstFailure: load.firstFailure,
    metricsUnavailable: sampler.metricsUnavailable,
    connectSeconds,
  };
}

/** Sleeps until `until` (a performance.now() time); returns why it stopped early if the server exited. */
async function waitWhileServerRuns(server: RunningServer, until: number): Promise<string | null> {
  while (performance.now() < until) {
    if (!serverRunning(server)) return 'the server process exited';
    await sleep(Math.min(crashCheckMs, Math.max(0, until - performance.now())));
  }
  return serverRunning(server) ? null : 'the server process exited';
}

/** A progress line on stderr, stamped with the time since the start (the report goes to stdout). */
function progress(line: string): void {
  process.stderr.write(`soak ${(performance.now() / 1000).toFixed(0).padStart(5)} s: ${line}\n`);
}

function describeRow(row: SoakRow): string {
  const rss = row.rssBytes === null ? '-' : (row.rssBytes / (1024 * 1024)).toFixed(1);
  const loop = row.eventLoopP99Ms === null ? 'n/a' : ms(row.eventLoopP99Ms);
  return `minute ${row.minute}: RSS ${rss} MiB, event-loop p99 ${loop} ms, ${row.connections} connections, ${row.deliveriesPerSecond.toFixed(0)} deliveries/s, p99 ${ms(row.deliveryP99Ms)} ms, server CPU ${row.serverCpuPercent.toFixed(0)}%, loadgen CPU ${row.loadCpuPercent.toFixed(0)}%`;
}

runBenchmark(main);
