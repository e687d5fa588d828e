import { performance } from 'node:perf_hooks';
import type { BenchWriter } from './benchWriter.js';

export interface OpenLoopPlan {
  /** Updates per second over all writers. */
  totalRate: number;
  warmupMs: number;
  measureMs: number;
  /**
   * Writers d*W .. d*W+W-1 write document d. Their phases are spread over the interval
   * (writer slot first, then document), so a document's writers are never in lockstep: clients
   * of one document are independent, and lockstep would hand a coalescing server free merges.
   */
  writersPerDoc?: number;
}

/** Hooks run as the measured window opens and closes (CPU samples belong exactly there). */
export interface OpenLoopHooks {
  measureStarts(at: number): void;
  measureEnds(at: number): void;
}

export interface OpenLoopResult {
  /** performance.now() bounds of the measured window. */
  measureStart: number;
  measureEnd: number;
  /** Per writer: first seq of the step, first seq scheduled in the window, first seq after. */
  firstSeq: number[];
  measureSeq: number[];
  endSeq: number[];
  /** Worst delay of a send behind its schedule (the generator falling behind shows here). */
  maxLagMs: number;
}

/** The fraction of the interval by which writer `index` is offset: slot-major over documents. */
function phaseOf(index: number, writers: number, writersPerDoc: number): number {
  const docs = Math.max(1, Math.floor(writers / writersPerDoc));
  const slot = index % writersPerDoc;
  const doc = Math.floor(index / writersPerDoc);
  return (slot * docs + doc) / writers;
}

/**
 * Open loop against an absolute clock: send k of writer i is due at
 * `start + (phase(i) + k) * interval`, whatever happened before. A slow tick sends everything
 * that fell due in one burst instead of quietly lowering the offered rate. The window an update
 * belongs to is decided by its due time, so a late burst still counts for the phase it was for.
 * `start` (a performance.now() time) is the caller's, so it can set up its windows beforehand.
 */
export function runOpenLoop(writers: readonly BenchWriter[], plan: OpenLoopPlan, start: number, hooks: OpenLoopHooks): Promise<OpenLoopResult> {
  const intervalMs = (writers.length * 1000) / plan.totalRate;
  const measureStart = start + plan.warmupMs;
  const measureEnd = measureStart + plan.measureMs;
  const due = writers.map((_, index) => start + phaseOf(index, writers.length, plan.writersPerDoc ?? 1) * intervalMs);
  const result: OpenLoopResult = {
    measureStart,
    measureEnd,
    firstSeq: writers.map((writer) => writer.sent),
    measureSeq: writers.map(() => -1),
    endSeq: [],
    maxLagMs: 0,
  };
  let measuring = false;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!measuring && now >= measureStart) {
        measuring = true;
        hooks.measureStarts(now);
      }
      for (let index = 0; index < writers.length; index++) sendDue(writers[index], index, now);
      if (now >= measureEnd) {
        hooks.measureEnds(now);
        result.endSeq = writers.map((writer) => writer.sent);
        // A writer with nothing due in the window (only at absurdly low rates) has an empty range.
        result.measureSeq = result.measureSeq.map((seq, index) => (seq < 0 ? result.endSeq[index] : seq));
        resolve(result);
        return;
      }
      const next = Math.min(measureEnd, ...due);
      setTimeout(tick, Math.max(0, next - performance.now()));
    };
    const sendDue = (writer: BenchWriter, index: number, now: number) => {
      while (due[index] <= now && due[index] < measureEnd) {
        if (result.measureSeq[index] < 0 && due[index] >= measureStart) result.measureSeq[index] = writer.sent;
        result.maxLagMs = Math.max(result.maxLagMs, now - due[index]);
        writer.sendNext();
        due[index] += intervalMs;
      }
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}
