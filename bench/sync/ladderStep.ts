import { performance } from 'node:perf_hooks';
import type { BenchWriter } from '../shared/benchWriter.js';
import { summarizeLatencies, type LatencySummary } from '../shared/latencyStats.js';
import { runOpenLoop, type OpenLoopPlan, type OpenLoopResult } from '../shared/openLoop.js';
import type { RedisProbe } from '../shared/redisProbe.js';
import { cpuDelta, sampleCpu, sumOf, type CpuDelta, type CpuSample } from '../shared/windowCpu.js';
import { sleep } from '../shared/withDeadline.js';
import type { DeliveryLog, RangeDelivery } from './deliveryLog.js';

/** The sockets and processes one step drives and watches. */
export interface StepContext {
  writers: readonly BenchWriter[];
  /** One log per reader socket; `log.writer` names the writer of its document. */
  readers: readonly DeliveryLog[];
  /** One log per writer socket: the server's echo of the writer's own updates. */
  echoes: readonly DeliveryLog[];
  readersPerDoc: number;
  serverPids: readonly number[];
  redis: RedisProbe | null;
}

export interface StepRow {
  offered: number;
  sentPerSecond: number;
  /** Distinct updates that reached readers per second (arrivals in the window / readers per doc). */
  deliveredPerSecond: number;
  perReaderPerSecond: number;
  /** Updates of the whole step (warm-up included), summed over readers. */
  delivery: RangeDelivery & { percent: number };
  echo: RangeDelivery;
  /** Entries readers got that were not their document writer's (must stay 0). */
  foreign: number;
  latency: LatencySummary;
  echoLatency: LatencySummary;
  serverCpuPercent: number;
  serverMicrosPerUpdate: number;
  redisMicrosPerUpdate: number | null;
  loadCpuPercent: number;
  /** Busy CPU of the machine not used by the serve processes, the generator or Redis (a busy neighbour). */
  otherCpuPercent: number;
  maxLagMs: number;
  drainMs: number;
}

/** After the last send, how long deliveries may trickle in before the rest counts as missing. */
const drainTimeoutMs = 3_000;
/** Lead time before the first send, so the windows are set before anything is due. */
const leadMs = 5;

/** One rung of the ladder: warm-up, measured window, drain, then the figures. */
export async function runLadderStep(context: StepContext, plan: OpenLoopPlan): Promise<StepRow> {
  const start = performance.now() + leadMs;
  const logs = [...context.readers, ...context.echoes];
  for (const log of logs) log.openWindow(start + plan.warmupMs, start + plan.warmupMs + plan.measureMs);
  const foreignBefore = sumOf(context.readers, (log) => log.foreign);
  const samples: CpuSample[] = [];
  const sample = () => void samples.push(sampleCpu(context.serverPids, context.redis));
  const loop = await runOpenLoop(context.writers, plan, start, { measureStarts: sample, measureEnds: sample });
  const drainMs = await drain(logs, loop);
  const foreign = sumOf(context.readers, (log) => log.foreign) - foreignBefore;
  return figures(context, plan, loop, await cpuDelta(samples), drainMs, foreign);
}

/** Waits until every log holds every update of the step (or the drain timeout passes). */
async function drain(logs: readonly DeliveryLog[], loop: OpenLoopResult): Promise<number> {
  const started = performance.now();
  const complete = () => logs.every((log) => log.hasAll(loop.firstSeq[log.writer], loop.endSeq[log.writer]));
  while (!complete() && performance.now() - started < drainTimeoutMs) await sleep(10);
  return performance.now() - started;
}

function figures(context: StepContext, plan: OpenLoopPlan, loop: OpenLoopResult, cpu: CpuDelta, drainMs: number, foreign: number): StepRow {
  const seconds = (loop.measureEnd - loop.measureStart) / 1000;
  const sentInWindow = sumOf(context.writers, (writer) => loop.endSeq[writer.writer] - loop.measureSeq[writer.writer]);
  const delivered = sumOf(context.readers, (log) => log.windowArrivals) / context.readersPerDoc;
  const delivery = totalDelivery(context.readers, loop);
  return {
    offered: plan.totalRate,
    sentPerSecond: sentInWindow / seconds,
    deliveredPerSecond: delivered / seconds,
    perReaderPerSecond: delivered / seconds / context.writers.length,
    delivery: { ...delivery, percent: (100 * delivery.received) / Math.max(1, delivery.expected) },
    echo: totalDelivery(context.echoes, loop),
    foreign,
    latency: windowLatencies(context.readers, loop),
    echoLatency: windowLatencies(context.echoes, loop),
    serverCpuPercent: (100 * cpu.server) / seconds,
    serverMicrosPerUpdate: (1e6 * cpu.server) / Math.max(1, delivered),
    redisMicrosPerUpdate: cpu.redis === null ? null : (1e6 * cpu.redis) / Math.max(1, delivered),
    loadCpuPercent: (100 * cpu.load) / seconds,
    otherCpuPercent: Math.max(0, (100 * (cpu.machine - cpu.server - cpu.load - (cpu.redis ?? 0))) / seconds),
    maxLagMs: loop.maxLagMs,
    drainMs,
  };
}

function totalDelivery(logs: readonly DeliveryLog[], loop: OpenLoopResult): RangeDelivery {
  const total: RangeDelivery = { expected: 0, received: 0, duplicates: 0, missing: 0 };
  for (const log of logs) {
    const one = log.delivery(loop.firstSeq[log.writer], loop.endSeq[log.writer]);
    total.expected += one.expected;
    total.received += one.received;
    total.duplicates += one.duplicates;
    total.missing += one.missing;
  }
  return total;
}

/** Latencies of the updates due inside the measured window (warm-up updates left out). */
function windowLatencies(logs: readonly DeliveryLog[], loop: OpenLoopResult): LatencySummary {
  const samples: number[] = [];
  for (const log of logs) log.latenciesOf(loop.measureSeq[log.writer], loop.endSeq[log.writer], samples);
  return summarizeLatencies(samples);
}
