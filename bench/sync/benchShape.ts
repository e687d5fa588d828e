import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchKeyPrefix, RedisProbe } from '../shared/redisProbe.js';
import { startServeNode, type ServeNode } from '../shared/serveProcess.js';
import { disturbedOtherCpuPercent } from '../shared/windowCpu.js';
import { sleep } from '../shared/withDeadline.js';
import { connectLoad, type ConnectedLoad } from './benchLoad.js';
import { runLadderStep, type StepContext, type StepRow } from './ladderStep.js';
import { staggerDocuments } from './staggerDocuments.js';

/** One deployment shape under test. */
export interface ShapeSpec {
  key: string;
  title: string;
  redisUrl: string | null;
  nodes: 1 | 2;
}

export interface ShapeSettings {
  runId: string;
  docs: number;
  readersPerDoc: number;
  /** Total offered updates/s, one step each, ascending. */
  ladder: readonly number[];
  warmupMs: number;
  measureMs: number;
  graceMs: number;
  p99LimitMs: number;
  /** Head start per document index (updates), so documents do not compact in lockstep; 0 = lockstep. */
  staggerPerDoc: number;
  serverCommandPrefix: readonly string[];
  /** performance.now() by which this shape's ladder must have finished its last step. */
  deadline: number;
}

export interface ShapeResult {
  spec: ShapeSpec;
  rows: StepRow[];
  stopReason: string;
  /** Document keys still in Redis after the shape ended (deleted by the bench); null without Redis. */
  redisLeftovers: number | null;
}

/** Worst-case length of a step beyond warm-up + window (the drain timeout plus slack). */
const stepOverheadMs = 3_500;

/** Starts the shape's nodes, connects the load, climbs the ladder, and tears everything down. */
export async function runShape(spec: ShapeSpec, settings: ShapeSettings): Promise<ShapeResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'wiresocket-bench-'));
  const docNames = Array.from({ length: settings.docs }, (_, index) => `bench-${settings.runId}-${spec.key}-${index}`);
  const nodes: ServeNode[] = [];
  const redis = spec.redisUrl ? new RedisProbe(spec.redisUrl) : null;
  let load: ConnectedLoad | null = null;
  let tornDown = false;
  try {
    const token = await startNodes(spec, settings, dataDir, nodes);
    await redis?.connect();
    load = await connectLoad({ docNames, readersPerDoc: settings.readersPerDoc, token, writerUrl: nodes[0].url, readerUrl: nodes[nodes.length - 1].url });
    if (settings.staggerPerDoc > 0) await staggerDocuments(load, settings.staggerPerDoc);
    const context: StepContext = { ...load, readersPerDoc: settings.readersPerDoc, serverPids: nodes.map((node) => node.pid), redis };
    const { rows, stopReason } = await climbLadder(context, load, settings);
    const redisLeftovers = await tearDown(nodes, load, redis, settings);
    tornDown = true;
    return { spec, rows, stopReason, redisLeftovers };
  } finally {
    // After an error: still stop whatever was started.
    if (!tornDown) await tearDown(nodes, load, redis, settings).catch(() => undefined);
    await redis?.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Node A first: its first start on the empty data dir creates dev/demo and prints the token. */
async function startNodes(spec: ShapeSpec, settings: ShapeSettings, dataDir: string, nodes: ServeNode[]): Promise<string> {
  for (let index = 0; index < spec.nodes; index++) {
    const redis = spec.redisUrl ? { redisUrl: spec.redisUrl, redisKeyPrefix: benchKeyPrefix(settings.runId) } : {};
    nodes.push(await startServeNode({ dataDir, ...redis, graceMs: settings.graceMs, commandPrefix: settings.serverCommandPrefix }));
  }
  const token = nodes[0].token;
  if (!token) throw new Error('the first serve start printed no token');
  return token;
}

async function climbLadder(context: StepContext, load: ConnectedLoad, settings: ShapeSettings): Promise<{ rows: StepRow[]; stopReason: string }> {
  const rows: StepRow[] = [];
  for (const totalRate of settings.ladder) {
    if (performance.now() + settings.warmupMs + settings.measureMs + stepOverheadMs > settings.deadline) {
      return { rows, stopReason: `time budget: steps from ${totalRate}/s skipped` };
    }
    let row = await runStep(context, settings, totalRate);
    let failed = failures(row, load, settings);
    const retryFits = performance.now() + settings.warmupMs + settings.measureMs + stepOverheadMs <= settings.deadline;
    if (failed.length > 0 && row.otherCpuPercent >= disturbedOtherCpuPercent && retryFits) {
      process.stderr.write(`  (disturbed: other processes used ${row.otherCpuPercent.toFixed(0)}% CPU; once more)\n`);
      row = await runStep(context, settings, totalRate);
      failed = failures(row, load, settings);
    }
    rows.push(row);
    if (failed.length > 0) return { rows, stopReason: `stopped at ${totalRate}/s: ${failed.join('; ')}` };
  }
  return { rows, stopReason: 'completed the ladder' };
}

async function runStep(context: StepContext, settings: ShapeSettings, totalRate: number): Promise<StepRow> {
  const row = await runLadderStep(context, { totalRate, warmupMs: settings.warmupMs, measureMs: settings.measureMs });
  process.stderr.write(`  ${totalRate}/s: delivery ${row.delivery.percent.toFixed(2)}%, p99 ${row.latency.p99.toFixed(2)} ms, other CPU ${row.otherCpuPercent.toFixed(0)}%\n`);
  return row;
}

/** Why a step ends the ladder (p99 over the limit, or anything short of exactly-once delivery). */
function failures(row: StepRow, load: ConnectedLoad, settings: ShapeSettings): string[] {
  const reasons: string[] = [];
  if (!(row.latency.p99 <= settings.p99LimitMs)) reasons.push(`p99 ${row.latency.p99.toFixed(1)} ms > ${settings.p99LimitMs} ms`);
  if (row.delivery.missing > 0) reasons.push(`${row.delivery.missing} deliveries missing`);
  if (row.delivery.duplicates > 0) reasons.push(`${row.delivery.duplicates} duplicate deliveries`);
  if (row.echo.missing > 0 || row.echo.duplicates > 0) reasons.push(`echo: ${row.echo.missing} missing, ${row.echo.duplicates} duplicates`);
  if (row.foreign > 0) reasons.push(`${row.foreign} foreign entries`);
  const closes = load.sockets.reduce((total, socket) => total + socket.unexpectedCloses, 0);
  if (closes > 0) reasons.push(`${closes} sockets closed by the server`);
  return reasons;
}

/**
 * Clients leave, the grace runs out so every node ends its documents (which deletes their Redis
 * keys), then the nodes stop. Returns how many keys under the run's prefix were still there
 * (then deleted): anything but 0 is a finding about the server.
 */
async function tearDown(nodes: ServeNode[], load: ConnectedLoad | null, redis: RedisProbe | null, settings: ShapeSettings): Promise<number | null> {
  if (load && load.sockets.length > 0) {
    for (const socket of load.sockets.splice(0)) socket.close();
    await sleep(settings.graceMs + 1_000);
  }
  await Promise.all(nodes.splice(0).map((node) => node.stop()));
  if (!redis) return null;
  return redis.removeLeftovers(benchKeyPrefix(settings.runId));
}
