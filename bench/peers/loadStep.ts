import { performance } from 'node:perf_hooks';
import { summarizeLatencies, type LatencySummary } from '../shared/latencyStats.js';
import { readLoopDelays, resetLoopDelays, type LoopDelay } from '../shared/loopDelayReader.js';
import { runOpenLoop, type OpenLoopPlan, type OpenLoopResult } from '../shared/openLoop.js';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { cpuDelta, sampleCpu, sumOf, type CpuSample } from '../shared/windowCpu.js';
import { sleep } from '../shared/withDeadline.js';
import { ArrivalRecorder } from './arrivalRecorder.js';
import { unexpectedCloses, type DocumentLoad } from './documentLoad.js';
import { addCounts, emptyCount, type RangeCount } from './receiverLog.js';

/** The figures of one load step on one server. */
export interface LoadStepRow {
  /** Offered updates/s over all writers, and per writer. */
  offered: number;
  perWriterRate: number;
  sentPerSecond: number;
  /** Deliveries (an update reaching a socket other than its sender's) arriving in the window, per second. */
  deliveredPerSecond: number;
  /** Over every update of the step (warm-up included) at every socket other than its sender's. */
  delivery: RangeCount & { percent: number };
  /** The sender's own socket: the echo every server under test sends. */
  echo: RangeCount;
  outOfOrder: number;
  foreign: number;
  closes: number;
  latency: LatencySummary;
  echoLatency: LatencySummary;
  serverCpuPercent: number;
  serverMicrosPerDelivery: number;
  redisMicrosPerDelivery: number | null;
  loadCpuPercent: number;
  loadMicrosPerDelivery: number;
  /** Busy CPU of the machine used by none of the above (a busy neighbour). */
  otherCpuPercent: number;
  maxLagMs: number;
  drainMs: number;
  /** The server's event-loop delay in the window (2 nodes: the worst of both); null without probes. */
  loopDelay: LoopDelay | null;
}

/** After the last send, how long deliveries may trickle in before the rest counts as missing. */
const drainTimeoutMs = 3_000;
/** Lead time before the first send, so the windows are set before anything is due. */
const leadMs = 5;

/** One step: warm-up, measured window, drain, then the figures. */
export async function runLoadStep(load: DocumentLoad, server: RunningServer, plan: OpenLoopPlan): Promise<LoadStepRow> {
  const start = performance.now() + leadMs;
  const recorder = new ArrivalRecorder(load.writers, start + plan.warmupMs, start + plan.warmupMs + plan.measureMs);
  for (const receiver of load.receivers) receiver.recorder = recorder;
  const before = { outOfOrder: sumOf(load.receivers, (log) => log.outOfOrder), foreign: sumOf(load.receivers, (log) => log.foreign), closes: unexpectedCloses(load) };
  const samples: CpuSample[] = [];
  const sample = () => void samples.push(sampleCpu(server.pids, server.redis));
  // The probes are reset as the window opens and read as it closes: warm-up (JIT, first allocations) is left out.
  let loopReset: Promise<void> = Promise.resolve();
  let loopRead: Promise<LoopDelay | null> = Promise.resolve(null);
  const windowOpens = () => {
    sample();
    loopReset = resetLoopDelays(server.loopProbes);
    loopReset.catch(() => undefined);
  };
  const windowCloses = () => {
    sample();
    loopRead = loopReset.then(() => readLoopDelays(server.loopProbes));
    loopRead.catch(() => undefined);
  };
  const loop = await runOpenLoop(load.writers, plan, start, { measureStarts: windowOpens, measureEnds: windowCloses });
  // A server past its limit (a ladder's top rung) may not answer its probe in time: that step
  // then has no loop figure ("-"), rather than failing the server's whole ladder and its table load.
  const loopDelay = await loopRead.catch(() => null);
  const drainMs = await drain(load, loop);
  for (const receiver of load.receivers) receiver.recorder = null;
  const cpu = await cpuDelta(samples);
  const seconds = (loop.measureEnd - loop.measureStart) / 1000;
  const counts = countStep(load, loop);
  const delivered = recorder.windowDeliveries;
  return {
    offered: plan.totalRate,
    perWriterRate: plan.totalRate / load.writers.length,
    sentPerSecond: sumOf(load.writers, (writer) => loop.endSeq[writer.writer] - loop.measureSeq[writer.writer]) / seconds,
    deliveredPerSecond: delivered / seconds,
    delivery: { ...counts.deliveries, percent: (100 * counts.deliveries.received) / Math.max(1, counts.deliveries.expected) },
    echo: counts.echo,
    outOfOrder: sumOf(load.receivers, (log) => log.outOfOrder) - before.outOfOrder,
    foreign: sumOf(load.receivers, (log) => log.foreign) - before.foreign,
    closes: unexpectedCloses(load) - before.closes,
    latency: summarizeLatencies(recorder.deliveries.latenciesIn(loop.measureSeq, loop.endSeq)),
    echoLatency: summarizeLatencies(recorder.echoes.latenciesIn(loop.measureSeq, loop.endSeq)),
    serverCpuPercent: (100 * cpu.server) / seconds,
    serverMicrosPerDelivery: (1e6 * cpu.server) / Math.max(1, delivered),
    redisMicrosPerDelivery: cpu.redis === null ? null : (1e6 * cpu.redis) / Math.max(1, delivered),
    loadCpuPercent: (100 * cpu.load) / seconds,
    loadMicrosPerDelivery: (1e6 * cpu.load) / Math.max(1, delivered),
    otherCpuPercent: Math.max(0, (100 * (cpu.machine - cpu.server - cpu.load - (cpu.redis ?? 0))) / seconds),
    maxLagMs: loop.maxLagMs,
    drainMs,
    loopDelay,
  };
}

/** Waits until every socket holds every update of the step (or the drain timeout passes). */
async function drain(load: DocumentLoad, loop: OpenLoopResult): Promise<number> {
  const started = performance.now();
  while (!load.receivers.every((log) => log.hasAllBelow(loop.endSeq)) && performance.now() - started < drainTimeoutMs) await sleep(5);
  return performance.now() - started;
}

function countStep(load: DocumentLoad, loop: OpenLoopResult): { deliveries: RangeCount; echo: RangeCount } {
  const deliveries = emptyCount();
  const echo = emptyCount();
  for (const log of load.receivers) {
    const one = log.countRange(loop.firstSeq, loop.endSeq);
    addCounts(deliveries, one.deliveries);
    addCounts(echo, one.echo);
  }
  return { deliveries, echo };
}
