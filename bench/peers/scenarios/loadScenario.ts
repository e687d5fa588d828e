import { performance } from 'node:perf_hooks';
import { closeDocumentLoad, connectDocumentLoad, type DocumentLayout } from '../documentLoad.js';
import { runLoadStep, type LoadStepRow } from '../loadStep.js';
import { verifyDocuments, type Verification } from '../verifyDocuments.js';
import type { RunningServer } from '../../shared/serverUnderTest.js';
import { disturbedOtherCpuPercent } from '../../shared/windowCpu.js';

/** A load of the table: documents x clients, some of them writing at an open-loop rate. */
export interface LoadScenarioSpec {
  key: string;
  title: string;
  layout: Omit<DocumentLayout, 'namePrefix'>;
  /** Updates/s per writer, one step each: the first is the table's load, the rest a ladder. */
  perWriterRates: readonly number[];
  /** The first step's warm-up and window when they differ from the plan's (the long fan-out). */
  window?: { warmupMs: number; measureMs: number };
  /** Flags for wiresocket's Redis shapes during this load only (said so in the report). */
  redisServeFlags?: readonly string[];
}

export interface LoadTiming {
  /** The first step (the table's load). */
  warmupMs: number;
  measureMs: number;
  /** Every further step (the ladder). */
  ladderWarmupMs: number;
  ladderMeasureMs: number;
  /** A ladder stops at a step whose p99 is above this (or with anything short of exactly-once delivery). */
  p99LimitMs: number;
  /** performance.now() after which no further ladder step starts. */
  deadline: number;
}

export interface LoadScenarioResult {
  kind: 'load';
  connectMs: number;
  steps: LoadStepRow[];
  stopReason: string;
  verification: Verification;
}

/** Worst-case length of a step beyond warm-up + window (the drain timeout plus slack). */
const stepOverheadMs = 3_500;

/** Connects the load, runs its steps (stopping at the first failing one), checks the documents. */
export async function runLoadScenario(server: RunningServer, spec: LoadScenarioSpec, timing: LoadTiming, namePrefix: string): Promise<LoadScenarioResult> {
  const connectStarted = performance.now();
  const load = await connectDocumentLoad(server, { ...spec.layout, namePrefix });
  try {
    const connectMs = performance.now() - connectStarted;
    const steps: LoadStepRow[] = [];
    const stopReason = await climb(spec, timing, steps, (perWriter, index) => {
      const [warmupMs, measureMs] = index === 0 ? [timing.warmupMs, timing.measureMs] : [timing.ladderWarmupMs, timing.ladderMeasureMs];
      return runLoadStep(load, server, { totalRate: perWriter * load.writers.length, warmupMs, measureMs, writersPerDoc: load.layout.writersPerDoc });
    });
    const verification = await verifyDocuments(server, load);
    return { kind: 'load', connectMs, steps, stopReason, verification };
  } finally {
    closeDocumentLoad(load);
  }
}

async function climb(spec: LoadScenarioSpec, timing: LoadTiming, steps: LoadStepRow[], step: (perWriter: number, index: number) => Promise<LoadStepRow>): Promise<string> {
  for (const [index, perWriter] of spec.perWriterRates.entries()) {
    // The table's load always runs; further rungs only while the time budget allows.
    if (index > 0 && performance.now() + timing.ladderWarmupMs + timing.ladderMeasureMs + stepOverheadMs > timing.deadline) return `time budget: steps from ${perWriter}/s per writer skipped`;
    let row = await step(perWriter, index);
    process.stderr.write(`    ${perWriter}/s per writer: ${describeStep(row)}\n`);
    let failed = stepFailures(row, timing.p99LimitMs);
    // Another process competing for the cores says little about the server: a failing step gets one more try.
    if (failed.length > 0 && row.otherCpuPercent >= disturbedOtherCpuPercent) {
      process.stderr.write(`    (disturbed: other processes used ${row.otherCpuPercent.toFixed(0)}% CPU; once more)\n`);
      row = await step(perWriter, index);
      process.stderr.write(`    ${perWriter}/s per writer: ${describeStep(row)}\n`);
      failed = stepFailures(row, timing.p99LimitMs);
    }
    steps.push(row);
    if (failed.length > 0) return `stopped at ${perWriter}/s per writer: ${failed.join('; ')}`;
  }
  return spec.perWriterRates.length > 1 ? 'completed the ladder' : 'completed';
}

/** Why a step counts as failed: anything short of exactly-once, in-order delivery, or a p99 over the limit. */
export function stepFailures(row: LoadStepRow, p99LimitMs: number): string[] {
  const reasons: string[] = [];
  if (!(row.latency.p99 <= p99LimitMs)) reasons.push(`p99 ${row.latency.p99.toFixed(1)} ms > ${p99LimitMs} ms`);
  if (row.delivery.missing > 0) reasons.push(`${row.delivery.missing} deliveries missing`);
  if (row.delivery.duplicates > 0) reasons.push(`${row.delivery.duplicates} duplicate deliveries`);
  if (row.echo.missing > 0 || row.echo.duplicates > 0) reasons.push(`echo: ${row.echo.missing} missing, ${row.echo.duplicates} duplicates`);
  if (row.outOfOrder > 0) reasons.push(`${row.outOfOrder} out of order`);
  if (row.foreign > 0) reasons.push(`${row.foreign} foreign clocks`);
  if (row.closes > 0) reasons.push(`${row.closes} sockets closed by the server`);
  return reasons;
}

function describeStep(row: LoadStepRow): string {
  return `${row.deliveredPerSecond.toFixed(0)} deliveries/s, delivery ${row.delivery.percent.toFixed(2)}%, p99 ${row.latency.p99.toFixed(2)} ms, server ${row.serverMicrosPerDelivery.toFixed(1)} µs/delivery (${row.serverCpuPercent.toFixed(0)}%), loadgen ${row.loadCpuPercent.toFixed(0)}%`;
}
