import { performance } from 'node:perf_hooks';
import type {
  ActiveConnection,
  CreationCheck,
  NewDocumentRoute,
  PinResult,
  RoutingOperation,
  RoutingOperationResult,
  RoutingTable,
} from './routingTable.js';

export interface RoutingBatcherOptions {
  /**
   * Most operations in one batch: a storm's rows go in several transactions rather than one
   * request so large that a remote store refuses it or holds its write lock for long.
   */
  maxOperations?: number;
  /**
   * A call made within this long of the last batch's start waits out the rest of it, so calls
   * spread over several turns share a batch. Without it a storm's connects, which arrive one per
   * turn once their token checks finish on the thread pool, went in 1,981 batches of one (of
   * 2,005 for 5,000 connects to 1,000 documents): one transaction each, a quarter of the storm's
   * CPU in libSQL. A quiet server's call still goes at once (the last batch is long past).
   */
  lingerMs?: number;
}

interface Queued {
  operation: RoutingOperation;
  resolve: (result: RoutingOperationResult) => void;
  reject: (error: unknown) => void;
}

export const routingBatcherDefaults = { maxOperations: 500, lingerMs: 2 } as const;

/**
 * Group commit for the routing writes and reads of the connect path: the calls made in one
 * event-loop turn (every upgrade the poll phase handed over) go to the store as one `runBatch`,
 * one transaction and one round trip, instead of one each. At most one batch is in flight: what
 * arrives meanwhile waits for it and goes in the next, so a slow store sees one round trip per
 * its own latency however many clients connect, and the operations of one connection (its add,
 * then its remove) reach the store in the order they were made. A failed batch fails every call
 * in it (none of its writes happened); nothing is retried behind the caller's back.
 */
export class RoutingBatcher {
  private queue: Queued[] = [];
  private scheduled = false;
  private flushing = false;
  private readonly maxOperations: number;
  private readonly lingerMs: number;
  /** When the last batch started (performance.now), or -Infinity. */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** Counts queued and not yet taken into a batch, by document. */
  private readonly waitingCounts = new Map<string, Promise<number>>();

  constructor(
    private readonly routing: RoutingTable,
    options: RoutingBatcherOptions = {},
  ) {
    this.maxOperations = options.maxOperations ?? routingBatcherDefaults.maxOperations;
    this.lingerMs = options.lingerMs ?? routingBatcherDefaults.lingerMs;
  }

  async addConnection(connection: ActiveConnection): Promise<void> {
    await this.enqueue({ kind: 'add-connection', connection });
  }

  async removeConnection(connectionId: string): Promise<void> {
    await this.enqueue({ kind: 'remove-connection', connectionId });
  }

  async pinDocument(route: NewDocumentRoute): Promise<PinResult> {
    const result = await this.enqueue({ kind: 'pin', route });
    if (result.kind !== 'pin') throw new Error(`runBatch answered a pin with ${result.kind}`);
    return result.result;
  }

  async checkCreation(docKey: string, tenantId: string): Promise<CreationCheck> {
    const result = await this.enqueue({ kind: 'creation-check', docKey, tenantId });
    if (result.kind !== 'creation-check') throw new Error(`runBatch answered a creation check with ${result.kind}`);
    return result.check;
  }

  /**
   * The document's connections on every node, counted after every call made before this one
   * (its removals included). Counts of one document waiting for the same batch share one
   * statement: they would read the same rows.
   */
  countConnections(docKey: string): Promise<number> {
    let count = this.waitingCounts.get(docKey);
    if (count === undefined) {
      count = this.enqueue({ kind: 'count-connections', docKey }).then((result) => {
        if (result.kind !== 'count') throw new Error(`runBatch answered a count with ${result.kind}`);
        return result.count;
      });
      this.waitingCounts.set(docKey, count);
    }
    return count;
  }

  /** Operations waiting for a batch (not counting the one in flight). */
  get pending(): number {
    return this.queue.length;
  }

  private enqueue(operation: RoutingOperation): Promise<RoutingOperationResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ operation, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const wait = this.lastFlushAt + this.lingerMs - performance.now();
    if (wait > 0 && this.queue.length < this.maxOperations) setTimeout(() => void this.flush(), wait);
    else setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    this.lastFlushAt = performance.now();
    const batch = this.queue.length <= this.maxOperations ? this.queue : this.queue.slice(0, this.maxOperations);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.maxOperations);
    for (const { operation } of batch) if (operation.kind === 'count-connections') this.waitingCounts.delete(operation.docKey);
    try {
      const results = await this.routing.runBatch(batch.map((queued) => queued.operation));
      if (results.length !== batch.length) throw new Error(`runBatch returned ${results.length} results for ${batch.length} operations`);
      batch.forEach((queued, index) => queued.resolve(results[index]));
    } catch (error) {
      for (const queued of batch) queued.reject(error);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
