/**
 * Issue 3: updates/s one node can write through Redis, with p99 latency from send to delivery
 * on another node, next to the memory adapter under the same load. Run with `npm run bench:sync`
 * (needs Redis on 127.0.0.1:6379); the report goes to stdout and docs/benchmarks/sync-layer.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandLine } from '../report/commandLine.js';
import { machineInfo } from '../report/machineInfo.js';
import { armHardLimit, killChildrenOnExit, runBenchmark } from '../shared/childProcesses.js';
import { describePinning, pinLoadGenerator, serverCommandPrefix } from '../shared/cpuPinning.js';
import { assertRedisReachable, benchKeyPrefix } from '../shared/redisProbe.js';
import { repoRoot, serveArguments } from '../shared/serveProcess.js';
import { parseBenchArgs } from './benchArgs.js';
import { runShape, type ShapeResult, type ShapeSettings, type ShapeSpec } from './benchShape.js';
import { renderReport } from './markdownReport.js';

const redisUrl = 'redis://127.0.0.1:6379';
const defaultLadder = [500, 1000, 2000, 4000, 8000];
/** Short grace: the documents (and their Redis keys) end soon after the clients leave. */
const graceMs = 1_000;
const p99LimitMs = 100;
/** Document i starts i * 25 updates ahead: 0..475, spread over both layers' compaction periods. */
const staggerPerDoc = 25;
/** The ladders share this much time; the whole run is killed at `hardLimitMs` whatever happens. */
const ladderBudgetMs = 185_000;
const hardLimitMs = 205_000;
const reportPath = path.join(repoRoot, 'docs', 'benchmarks', 'sync-layer.md');

const shapes: ShapeSpec[] = [
  { key: 'mem', title: 'memory', redisUrl: null, nodes: 1 },
  { key: 'r1', title: 'redis, 1 node', redisUrl, nodes: 1 },
  { key: 'r2', title: 'redis, 2 nodes', redisUrl, nodes: 2 },
];

interface LoadPlan {
  docs: number;
  readersPerDoc: number;
  ladder: readonly number[];
  warmupMs: number;
  measureMs: number;
  staggerPerDoc: number;
}

async function main(): Promise<number> {
  const started = performance.now();
  const args = parseBenchArgs(process.argv.slice(2));
  const load: LoadPlan = { docs: 20, readersPerDoc: 2, ladder: args.ladder ?? defaultLadder, warmupMs: 2_000, measureMs: 8_000, staggerPerDoc: args.lockstep ? 0 : staggerPerDoc };
  const selected = shapes.filter((spec) => args.only === null || args.only.includes(spec.key));
  if (selected.length === 0) throw new Error(`--only names no shape (${shapes.map((spec) => spec.key).join(', ')})`);
  killChildrenOnExit();
  armHardLimit(hardLimitMs);
  const pinning = pinLoadGenerator();
  const prefix = serverCommandPrefix(pinning);
  await checkRedis();
  const runId = randomBytes(3).toString('hex');
  const results = await runShapes(selected, load, prefix, started, runId);
  const report = renderReport(
    {
      machine: machineInfo(),
      date: new Date().toISOString(),
      command: ['npm run bench:sync', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      serveCommand: commandLine(serveArguments({ dataDir: '<tmp>', redisUrl, redisKeyPrefix: benchKeyPrefix(runId), graceMs, commandPrefix: prefix })),
      pinning: `${describePinning(pinning)}; in the 2-node shape both serve processes share the server core`,
      load: describeLoad(load),
      durationSeconds: (performance.now() - started) / 1000,
    },
    results,
  );
  process.stdout.write(report);
  // A partial run (--only, --ladder, --lockstep) is for working on a hot path; the file holds full runs only.
  if (process.argv.length <= 2) await writeReport(report);
  return 0;
}

async function runShapes(selected: readonly ShapeSpec[], load: LoadPlan, prefix: readonly string[], started: number, runId: string): Promise<ShapeResult[]> {
  const results: ShapeResult[] = [];
  for (const [index, spec] of selected.entries()) {
    // Each shape gets an equal part of what is left, so time an early stop saves goes to the later ones.
    const left = ladderBudgetMs - (performance.now() - started);
    const deadline = performance.now() + left / (selected.length - index);
    const settings: ShapeSettings = { runId, ...load, graceMs, p99LimitMs, serverCommandPrefix: prefix, deadline };
    process.stderr.write(`${spec.title}:\n`);
    results.push(await runShape(spec, settings));
  }
  return results;
}

function describeLoad(load: LoadPlan): string {
  const stagger =
    load.staggerPerDoc === 0
      ? 'documents in lockstep (no head start)'
      : `document i given a head start of i x ${load.staggerPerDoc} updates before the ladder, so documents do not all compact at the same moment`;
  return [
    `${load.docs} documents, 1 writer + ${load.readersPerDoc} readers each (raw y-websocket frames over ws on 127.0.0.1)`,
    'writers on node A, readers on node B in the 2-node shape',
    stagger,
    `open-loop ladder ${load.ladder.join(', ')} updates/s in total, equal per document`,
    `each step ${load.warmupMs / 1000} s warm-up + ${load.measureMs / 1000} s measured`,
    `a shape stops at p99 > ${p99LimitMs} ms or anything short of exactly-once delivery`,
  ].join('; ');
}

async function writeReport(report: string): Promise<void> {
  await mkdir(path.dirname(reportPath), { recursive: true });
  await writeFile(reportPath, report);
  process.stderr.write(`written to ${path.relative(repoRoot, reportPath)}\n`);
}

/** The Redis shapes are the point of the run: without Redis it stops before starting anything. */
async function checkRedis(): Promise<void> {
  await assertRedisReachable(redisUrl);
}

runBenchmark(main);
