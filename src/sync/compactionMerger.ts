import { Worker } from 'node:worker_threads';
import { housekeeping, type HousekeepingQueue } from '../scheduling/index.js';
import { integrateUpdates } from './integrateUpdates.js';

/** Turns a compacted state and the updates after it into one compacted state. */
export interface CompactionMerger {
  merge(updates: readonly Uint8Array[]): Promise<Uint8Array>;
  /** Gets ready for a first merge soon (starting a worker takes a few hundred milliseconds). */
  prewarm(): void;
  /** Stops the worker; merges asked for afterwards reject. */
  close(): Promise<void>;
}

export interface CompactionRequest {
  id: number;
  updates: readonly Uint8Array[];
}

export type CompactionReply = { id: number; merged: Uint8Array } | { id: number; error: string };

interface PendingMerge {
  resolve(merged: Uint8Array): void;
  reject(error: Error): void;
}

interface WaitingMerge extends PendingMerge {
  updates: readonly Uint8Array[];
}

/**
 * Input below this many bytes is integrated on the main thread, as one task of the housekeeping
 * queue (a few milliseconds at most, less than the round trip to the worker, and never waiting
 * for a worker that is still starting). Through the queue, not inline: 100 documents that cross
 * their threshold together would otherwise merge in the same turn (issue 14: 240-360 ms stalls).
 */
const inlineBelowBytes = 16 * 1024;

/**
 * Merges handed to the worker at once; the rest wait here, in order. The worker runs one at a
 * time anyway, and posting copies every update (structured clone) on the main thread: 100
 * documents crossing their threshold together posted ~26,000 updates in one stretch (26 ms of
 * postMessage in the long fan-out bench, memory shape). Two keep the worker busy.
 */
export const defaultMaxMergesInFlight = 2;

/** A worker with nothing to merge for this long is stopped (see WorkerCompactionMerger). */
export const defaultWorkerIdleMs = 60_000;

/**
 * Runs compaction merges (integrateUpdates.ts) on one worker thread, started at the first merge
 * and started again after a crash. The worker keeps the process alive only while a merge is
 * under way, so an idle layer never holds a process open. A worker idle for `idleMs` is stopped:
 * its own V8 heap (about 15 MiB of RSS, more after merging large documents) would otherwise stay
 * with the process for good after one burst of compactions, and the main thread's collector
 * cannot reclaim it. The next merge starts a new one.
 */
export class WorkerCompactionMerger implements CompactionMerger {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, PendingMerge>();
  /** Merges not yet posted (FIFO; `head` is the next one). */
  private waiting: (WaitingMerge | undefined)[] = [];
  private waitingHead = 0;
  private nextId = 1;
  private closed = false;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly idleMs = defaultWorkerIdleMs,
    /** Where small merges wait for their turn on the main thread. */
    private readonly queue: HousekeepingQueue = housekeeping,
    private readonly maxInFlight = defaultMaxMergesInFlight,
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`compaction merger: maxInFlight must be a positive integer, got ${maxInFlight}`);
  }

  /** Merges posted to the worker and merges waiting to be posted (for tests and metrics). */
  get backlog(): { inFlight: number; waiting: number } {
    return { inFlight: this.pending.size, waiting: this.waiting.length - this.waitingHead };
  }

  merge(updates: readonly Uint8Array[]): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('the compaction merger is closed'));
    if (updates.reduce((sum, update) => sum + update.byteLength, 0) < inlineBelowBytes) {
      return new Promise<Uint8Array>((resolve, reject) =>
        this.queue.enqueue(() => {
          if (this.closed) return reject(new Error('the compaction merger was closed'));
          try {
            resolve(integrateUpdates(updates));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }, 'compaction-merge'),
      );
    }
    this.clearIdleTimer();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.push({ updates, resolve, reject });
      this.postWaiting();
    });
  }

  /** Posts waiting merges while fewer than `maxInFlight` are on the worker. */
  private postWaiting(): void {
    while (this.pending.size < this.maxInFlight && this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead];
      this.waiting[this.waitingHead++] = undefined;
      if (next) this.post(next);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  private post({ updates, resolve, reject }: WaitingMerge): void {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    this.pending.set(id, { resolve, reject });
    worker.ref();
    // Copied, not transferred: the updates are views into Redis reply buffers shared with others.
    worker.postMessage({ id, updates } satisfies CompactionRequest);
  }

  prewarm(): void {
    // A first compaction that waits for a cold worker lets a busy document's stream run ahead.
    if (this.closed) return;
    this.ensureWorker();
    if (this.pending.size === 0) this.startIdleTimer();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearIdleTimer();
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('the compaction merger was closed'));
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./compactionWorker.js', import.meta.url));
    worker.unref();
    worker.on('message', (reply: CompactionReply) => this.settle(reply));
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`the compaction worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: CompactionReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('merged' in reply) pending.resolve(reply.merged);
    else pending.reject(new Error(`compaction merge failed: ${reply.error}`));
    this.postWaiting();
    if (this.pending.size === 0) {
      this.worker?.unref();
      this.startIdleTimer();
    }
  }

  private startIdleTimer(): void {
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => this.stopIdleWorker(), this.idleMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private stopIdleWorker(): void {
    this.idleTimer = null;
    const worker = this.worker;
    if (!worker || this.pending.size > 0) return;
    // Forgotten first, so its exit is not taken for a crash.
    this.worker = null;
    void worker.terminate();
  }

  /**
   * The worker died: the merges it held fail (the compactor retries on a later append); the
   * waiting ones go to a new worker.
   */
  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.failPosted(error);
    if (!this.closed) this.postWaiting();
  }

  private failAll(error: Error): void {
    this.failPosted(error);
    const waiting = this.waiting.slice(this.waitingHead);
    this.waiting = [];
    this.waitingHead = 0;
    for (const merge of waiting) merge?.reject(error);
  }

  private failPosted(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
