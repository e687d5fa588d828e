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
}

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

  constructor(private readonly context: CompactorContext) {}

  /** Whether an append that left `pending` updates / `pendingBytes` after the state should compact. */
  due(pending: number, pendingBytes: number): boolean {
    const { policy } = this.context;
    return pending >= policy.everyUpdates || pendingBytes >= policy.everyBytes;
  }

  /** Starts a compaction of the document unless this node is already compacting it. */
  request(docKey: string): void {
    if (this.running.has(docKey)) return;
    const run = this.compactWhileDue(docKey)
      .catch((error: unknown) => this.context.onError(error, docKey))
      .finally(() => this.running.delete(docKey));
    this.running.set(docKey, run);
  }

  /** Resolves once every compaction under way has ended (for `close`). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
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
