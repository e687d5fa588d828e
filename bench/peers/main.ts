/**
 * Issues 5 and 14: wiresocket side by side with @y/websocket-server, Hocuspocus and a bare `ws`
 * relay, in one run on one machine. `npm run bench` (everything, ~25 minutes) or
 * `npm run bench:quick` (shorter windows, fewer ladder steps, ~5 minutes); needs Redis on
 * 127.0.0.1:6379 for the Redis shapes. The report goes to stdout and, for a complete run, to
 * docs/benchmarks/ (latest.md + latest.svg, or latest-quick.*). How to read it: docs/BENCHMARKS.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineInfo } from '../report/machineInfo.js';
import { BenchUsageError } from '../shared/benchFlags.js';
import { armHardLimit, killChildrenOnExit, runBenchmark } from '../shared/childProcesses.js';
import { describePinning, pinLoadGenerator, serverCommandPrefix } from '../shared/cpuPinning.js';
import { assertRedisReachable, benchKeyPrefix } from '../shared/redisProbe.js';
import { repoRoot } from '../shared/serveProcess.js';
import { parsePeerBenchArgs, peerBenchUsage } from './peerBenchArgs.js';
import { fullPlan, isLoadKey, quickPlan, scenarioGroups, scenarioKeys, type BenchPlan, type ScenarioKey } from './peerBenchPlan.js';
import { renderPeerChart } from './report/peerChart.js';
import { renderPeerReport, type PeerReportContext } from './report/peerReport.js';
import { runScenarioGroup, type ScenarioRun } from './runScenario.js';
import { serverLineup, type ServerSpec } from './serverLineup.js';

const redisUrl = 'redis://127.0.0.1:6379';

async function main(): Promise<number> {
  const started = performance.now();
  const args = parsePeerBenchArgs(process.argv.slice(2));
  const plan = args.quick ? quickPlan : fullPlan;
  const servers = (await serverLineup()).filter((spec) => args.servers === null || args.servers.includes(spec.key));
  if (servers.length === 0) throw new BenchUsageError(`--servers names no server (${(await serverLineup()).map((spec) => spec.key).join(', ')}); ${peerBenchUsage}`);
  const scenarios = scenarioKeys.filter((key) => args.scenarios === null || args.scenarios.includes(key));
  killChildrenOnExit();
  armHardLimit(plan.hardLimitMs);
  const pinning = pinLoadGenerator();
  if (servers.some((spec) => spec.usesRedis)) await assertRedisReachable(redisUrl);
  const runId = randomBytes(3).toString('hex');
  const runs = await runAll(servers, scenarios, plan, serverCommandPrefix(pinning), runId, started + plan.budgetMs);
  const context: PeerReportContext = {
    plan,
    machine: machineInfo(),
    date: new Date().toISOString(),
    command: [`npm run ${args.quick ? 'bench:quick' : 'bench'}`, ...(partial(args) ? ['--', ...process.argv.slice(2).filter((arg) => arg !== '--quick')] : [])].join(' '),
    pinning: describePinning(pinning, 'server processes'),
    commandPrefix: serverCommandPrefix(pinning),
    redisUrl,
    durationSeconds: (performance.now() - started) / 1000,
    chartFile: `${reportName(plan)}.svg`,
  };
  const report = renderPeerReport(context, servers, runs);
  process.stdout.write(report);
  // A partial run (--servers, --scenarios) is for working on a hot path; the files hold complete runs.
  if (!partial(args)) await writeResults(plan, report, renderPeerChart(servers, runs, plan));
  return 0;
}

/** Scenario by scenario, every server in turn: the same load runs close together in time. */
async function runAll(servers: readonly ServerSpec[], scenarios: readonly ScenarioKey[], plan: BenchPlan, commandPrefix: readonly string[], runId: string, deadline: number): Promise<ScenarioRun[]> {
  const runs: ScenarioRun[] = [];
  let starts = 0;
  for (const group of scenarioGroups.map((keys) => keys.filter((key) => scenarios.includes(key))).filter((keys) => keys.length > 0)) {
    process.stderr.write(`${group.join(', ')}:\n`);
    for (const spec of servers) {
      const own = group.filter((key) => spec.scenarios?.includes(key) ?? true);
      if (own.length === 0) continue;
      if (performance.now() > deadline) {
        runs.push(...own.map((scenario) => ({ scenario, server: spec, outcome: { kind: 'error' as const, message: 'not run: time budget spent' }, seconds: 0 })));
        continue;
      }
      const redisServeFlags = own.flatMap((key) => (isLoadKey(key) ? (plan.loads[key].redisServeFlags ?? []) : []));
      const context = { commandPrefix, redisUrl, redisKeyPrefix: `${benchKeyPrefix(runId)}-${starts++}`, loopProbes: true, redisServeFlags };
      runs.push(...(await runScenarioGroup(own, spec, plan, context, (scenario) => `pb-${runId}-${scenario}-${spec.key}`)));
    }
  }
  return runs;
}

function partial(args: ReturnType<typeof parsePeerBenchArgs>): boolean {
  return args.servers !== null || args.scenarios !== null;
}

function reportName(plan: BenchPlan): string {
  return plan.mode === 'full' ? 'latest' : 'latest-quick';
}

async function writeResults(plan: BenchPlan, report: string, chart: string): Promise<void> {
  const directory = path.join(repoRoot, 'docs', 'benchmarks');
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, `${reportName(plan)}.md`), report);
  await writeFile(path.join(directory, `${reportName(plan)}.svg`), chart);
  process.stderr.write(`written to docs/benchmarks/${reportName(plan)}.md and .svg\n`);
}

runBenchmark(main);
