import { dueWithinSpread } from '../scheduling/index.js';
import type { CompactionMerger } from './compactionMerger.js';
import { documentRedisKeys } from './redisKeys.js';
import type { RedisCommandClient } from './redisScript.js';
import { compactScript } from './redisScripts.js';
import { readSnapshot, type RedisSnapshot } from './redisSnapshot.js';

/** After a compaction the stream keeps this fraction (1/n) of a window of merged entries. */
const keptFraction = 4;

export interface CompactionPolicy {
  /** Compact once this many updates wait after the compacted state. */
  everyUpdates: number;
  /** ... or once they hold this many bytes. */
  everyBytes: number;
}

/**
 * `written`: the new state is stored (with what is still pending after it); `superseded`: the
 * state moved on since the read (another compactor won, or the document was deleted), nothing
 * written; `nothing`: no entries after the state.
 */
export type CompactionOutcome =
  | { kind: 'written'; pending: number; pendingBytes: number }
  | { kind: 'superseded' }
  | { kind: 'nothing' };

export interface CompactorContext {
  client(): Promise<RedisCommandClient>;
  keyPrefix: string;
  ttlSeconds: number;
  policy: CompactionPolicy;
  /** Integrates the state and the entries after it (off the main thread in the layer). */
  merger: CompactionMerger;
  onError(error: unknown, docKey: string): void;
  /** Compactions this node runs at once; the others wait their turn in request order. */
  maxConcurrent?: number;
  /** Draws where in its spread an append finds a document due (see `dueAfterAppend`); tests fix it. */
  random?: () => number;
}

/**
 * Two at once: documents created together cross their threshold together (100 documents every
 * 12 s in the long fan-out bench), and 100 snapshot reads answered in one burst decoded about
 * 30,000 stream entries in one socket read (54 ms) plus the collections of their garbage (up to
 * 80 ms), so the event loop stalled for 75-130 ms at each round. Two keep the Redis round trip
 * and the worker's merge overlapped while each turn decodes one document's entries.
 */
export const defaultMaxConcurrentCompactions = 2;

/**
 * Merges a document's stream into its compacted state. Protocol, each step one atomic script:
 * 1. read the state, the id it covers (X), the epoch and every entry after X;
 * 2. integrate them into one compact state here, outside Redis (on a worker thread: see
 *    compactionMerger.ts and integrateUpdates.ts);
 * 3. write the merged state as covering the last entry read (Y) only if the state still covers
 *    X in the same epoch (compare-and-set), and trim the stream to the last window before Y.
 * Entries after Y are untouched, and a second compactor that read the same X finds the id moved
 * on and writes nothing, so no interleaving loses an update. Any node appending past the
 * threshold starts one; a node that crashes mid-way leaves the counters high, so the next
 * append anywhere starts it again.
 */
export class RedisCompactor {
  private readonly running = new Map<string, Promise<void>>();
  /** Documents due while `maxConcurrent` compactions run, in request order (a Set: asked once). */
  private readonly waiting = new Set<string>();
  private readonly maxConcurrent: number;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly context: CompactorContext) {
    this.maxConcurrent = context.maxConcurrent ?? defaultMaxConcurrentCompactions;
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) {
      throw new Error(`redis compactor: maxConcurrent must be a positive integer, got ${this.maxConcurrent}`);
    }
  }

  /** Compactions running and waiting (for tests and metrics). */
  get backlog(): { running: number; waiting: number } {
    return { running: this.running.size, waiting: this.waiting.size };
  }

  /** Whether `pending` updates / `pendingBytes` after the state call for another round at once. */
  due(pending: number, pendingBytes: number): boolean {
    const { policy } = this.context;
    return pending >= policy.everyUpdates || pendingBytes >= policy.everyBytes;
  }

  /**
   * Whether the append that left `pending` updates / `pendingBytes` after the state starts a
   * compaction: by count somewhere in the last quarter before `everyUpdates` (dueWithinSpread),
   * so documents written at one rate since one connect storm do not all compact in the same
   * second (100 at once stalled the long fan-out bench's event loop). Each append draws anew, on
   * whichever node made it, so the spread needs no shared state.
   */
  dueAfterAppend(pending: number, pendingBytes: number): boolean {
    const { policy } = this.context;
    return dueWithinSpread(pending, policy.everyUpdates, this.context.random) || pendingBytes >= policy.everyBytes;
  }

  /**
   * Compacts the document soon: at once while fewer than `maxConcurrent` run, else after the
   * documents that asked before it. A document already running or waiting is not queued twice
   * (a running one re-checks its counters when it ends).
   */
  request(docKey: string): void {
    if (this.running.has(docKey) || this.waiting.has(docKey)) return;
    if (this.running.size >= this.maxConcurrent) this.waiting.add(docKey);
    else this.start(docKey);
  }

  /** Forgets the waiting requests (for `close`: a later append anywhere asks again). */
  dropWaiting(): void {
    this.waiting.clear();
    this.settleIdle();
  }

  /** Resolves once no compaction runs or waits (for `close` and tests). */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(docKey: string): void {
    const run = this.compactWhileDue(docKey)
      .catch((error: unknown) => this.context.onError(error, docKey))
      .finally(() => {
        this.running.delete(docKey);
        this.startNext();
      });
    this.running.set(docKey, run);
  }

  private startNext(): void {
    for (const docKey of this.waiting) {
      if (this.running.size >= this.maxConcurrent) return;
      this.waiting.delete(docKey);
      this.start(docKey);
    }
    this.settleIdle();
  }

  private settleIdle(): void {
    if (this.running.size > 0 || this.waiting.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Where the stream is cut after this compaction: it keeps the newest quarter window (by count
   * or bytes, whichever is reached first) of the entries just merged, so a reader that missed a
   * few pub/sub messages catches up from the stream instead of a whole snapshot, while the stream
   * stays within about one and a quarter windows (Redis memory: the state plus that). Returns the
   * first entry kept and the newest one removed (what readers compare their cursor with).
   */
  private cutPoint(snapshot: RedisSnapshot): { keepFrom: string; lastRemoved: string } {
    const { entries } = snapshot;
    const keepUpdates = Math.max(1, Math.floor(this.context.policy.everyUpdates / keptFraction));
    const keepBytes = Math.max(1, Math.floor(this.context.policy.everyBytes / keptFraction));
    let first = 0;
    let bytes = 0;
    for (let index = entries.length - 1, kept = 1; index > 0; index--, kept++) {
      bytes += entries[index].update.byteLength;
      if (kept >= keepUpdates || bytes >= keepBytes) {
        first = index;
        break;
      }
    }
    return { keepFrom: entries[first].id, lastRemoved: first > 0 ? entries[first - 1].id : snapshot.coveredId };
  }

  private async compactWhileDue(docKey: string): Promise<void> {
    // Appends during a compaction may push the counters past the threshold again.
    for (let round = 0; round < 8; round++) {
      const outcome = await this.compactOnce(docKey);
      if (outcome.kind !== 'written' || !this.due(outcome.pending, outcome.pendingBytes)) return;
    }
  }

  /** One read-merge-write round. */
  async compactOnce(docKey: string): Promise<CompactionOutcome> {
    const keys = documentRedisKeys(this.context.keyPrefix, docKey);
    const client = await this.context.client();
    const snapshot = await readSnapshot(client, keys, this.context.ttlSeconds);
    const lastEntry = snapshot.entries.at(-1);
    if (!lastEntry) return { kind: 'nothing' };
    const updates = snapshot.entries.map(({ update }) => update);
    const merged = await this.context.merger.merge([snapshot.state, ...updates]);
    const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0);
    const cut = this.cutPoint(snapshot);
    const reply = await compactScript.run(client, [keys.state, keys.stream], [
      snapshot.epoch,
      snapshot.coveredId,
      lastEntry.id,
      Buffer.from(merged.buffer, merged.byteOffset, merged.byteLength),
      updates.length,
      bytes,
      cut.keepFrom,
      cut.lastRemoved,
    ]);
    if (!Array.isArray(reply)) return { kind: 'superseded' };
    return { kind: 'written', pending: Number(reply[0]), pendingBytes: Number(reply[1]) };
  }
}
