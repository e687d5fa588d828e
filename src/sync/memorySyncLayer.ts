import * as Y from 'yjs';
import { dueWithinSpread } from '../scheduling/index.js';
import { WorkerCompactionMerger, type CompactionMerger } from './compactionMerger.js';
import type { SyncAttachment, SyncLayer, SyncListener } from './syncLayer.js';

/** Updates kept per document before they are merged into one (bounds memory and attach cost). */
const defaultCompactEvery = 256;
/** ... unless they are still small next to the merged state: then up to this many (see `due`). */
const compactAtMost = 8192;

const emptyUpdate = new Uint8Array([0, 0]);

interface MemoryDocument {
  /** Merged state followed by the updates appended since the last compaction. */
  updates: Uint8Array[];
  listeners: Map<SyncListener, string>;
  /** A compaction is integrating a prefix of `updates` off the event loop. */
  compacting: boolean;
  /** Bytes of the updates after the merged state (`updates[0]` once compacted). */
  pendingBytes: number;
}

/** One merger for every hub of the process: its worker starts only when a large merge comes. */
let processMerger: WorkerCompactionMerger | null = null;
const sharedMerger = () => (processMerger ??= new WorkerCompactionMerger());

/**
 * The process-wide store behind memory sync layers. Several `MemorySyncLayer`s (one per node id)
 * may share one hub, so in-process clusters and the contract suite see cross-node delivery.
 */
export class MemorySyncHub {
  private readonly documents = new Map<string, MemoryDocument>();
  private readonly leases = new Map<string, { holder: string; expiresAt: number }>();

  constructor(
    private readonly compactEvery = defaultCompactEvery,
    /** A listener threw, or a compaction failed: the update is stored either way. */
    private readonly onBackgroundError: (error: unknown) => void = () => undefined,
    /** Merges on the housekeeping queue (small) or the worker (large); shared by every hub by default. */
    private readonly merger: CompactionMerger = sharedMerger(),
    /** Draws where in its spread a document's next compaction comes (see `due`); tests fix it. */
    private readonly random: () => number = Math.random,
  ) {}

  init(docKey: string): boolean {
    if (this.documents.has(docKey)) return false;
    this.documents.set(docKey, { updates: [], listeners: new Map(), compacting: false, pendingBytes: 0 });
    return true;
  }

  append(docKey: string, update: Uint8Array, fromNode: string): void {
    const document = this.require(docKey);
    // A view into a socket's read buffer would keep the whole chunk alive until compaction.
    document.updates.push(update.byteLength === update.buffer.byteLength ? update : update.slice());
    document.pendingBytes += update.byteLength;
    if (this.due(document)) this.compact(document);
    this.deliver(document, fromNode, (listener) => listener.onRemoteUpdate(update));
  }

  publishAwareness(docKey: string, awarenessUpdate: Uint8Array, fromNode: string): void {
    const document = this.documents.get(docKey);
    if (document) this.deliver(document, fromNode, (listener) => listener.onRemoteAwareness(awarenessUpdate, fromNode));
  }

  publishStateless(docKey: string, payload: string, fromNode: string): void {
    const document = this.documents.get(docKey);
    if (document) this.deliver(document, fromNode, (listener) => listener.onRemoteStateless?.(payload, fromNode));
  }

  /** Reads the state and registers the listener in one step, so nothing falls between them. */
  attach(docKey: string, listener: SyncListener, nodeId: string): Uint8Array {
    const document = this.require(docKey);
    document.listeners.set(listener, nodeId);
    if (document.updates.length <= 1) return document.updates[0] ?? emptyUpdate;
    const state = Y.mergeUpdates(document.updates);
    // Kept only when no compaction holds a count of entries it will replace.
    if (!document.compacting) {
      document.updates = [state];
      document.pendingBytes = 0;
    }
    return state;
  }

  detach(docKey: string, listener: SyncListener): void {
    this.documents.get(docKey)?.listeners.delete(listener);
  }

  delete(docKey: string): void {
    this.documents.delete(docKey);
  }

  /** Deletes the document and tells the listeners of the other nodes. */
  end(docKey: string, fromNode: string): void {
    const document = this.documents.get(docKey);
    this.documents.delete(docKey);
    if (document) this.deliver(document, fromNode, (listener) => listener.onDocumentEnded?.());
  }

  /** Takes or renews a lease (see SyncLayer.holdLease); expiry by wall time, as Redis's PX. */
  holdLease(docKey: string, name: string, ttlMs: number, nodeId: string): boolean {
    const key = `${docKey}\0${name}`;
    const now = Date.now();
    const lease = this.leases.get(key);
    if (lease && lease.holder !== nodeId && lease.expiresAt > now) return false;
    this.leases.set(key, { holder: nodeId, expiresAt: now + ttlMs });
    return true;
  }

  /** Whether the hub holds state for the document (for tests that check state is released). */
  has(docKey: string): boolean {
    return this.documents.has(docKey);
  }

  /** Number of documents held (for tests that check state is released). */
  get size(): number {
    return this.documents.size;
  }

  /**
   * A compaction re-reads the whole state, so compacting a large document every 256 small
   * updates costs quadratic time as it grows: wait until the updates are a fair share of the
   * state (amortised linear work), but never past `compactAtMost` updates (memory, attach cost).
   * The count is spread over the last quarter before `compactEvery` (dueWithinSpread), so the
   * documents of one connect storm, written at one rate, do not all compact in the same second.
   */
  private due(document: MemoryDocument): boolean {
    const count = document.updates.length;
    if (document.compacting || !dueWithinSpread(count, this.compactEvery, this.random)) return false;
    const stateBytes = document.updates[0].byteLength;
    return document.pendingBytes * 4 >= stateBytes || count >= compactAtMost;
  }

  /**
   * Integrates the state and the updates so far into one compact state, off the event loop for
   * large documents and as a housekeeping-queue task for small ones (compactionMerger.ts):
   * merging on every 256th append stalled a busy node for tens of milliseconds, more as the
   * document grew, and documents that reach the threshold together all merged in one tick
   * (issue 14). Appends meanwhile go after the prefix.
   */
  private compact(document: MemoryDocument): void {
    document.compacting = true;
    const taken = document.updates.length;
    this.merger
      .merge(document.updates.slice(0, taken))
      .then(
        (state) => {
          document.updates.splice(0, taken, state);
          document.pendingBytes = document.updates.slice(1).reduce((sum, update) => sum + update.byteLength, 0);
        },
        // Nothing is lost: the updates stay as they were, and the next append tries again.
        (error: unknown) => this.onBackgroundError(error),
      )
      .finally(() => {
        document.compacting = false;
      });
  }

  private require(docKey: string): MemoryDocument {
    const document = this.documents.get(docKey);
    if (!document) throw new Error(`sync layer: document ${JSON.stringify(docKey)} is not initialised`);
    return document;
  }

  private deliver(document: MemoryDocument, fromNode: string, send: (listener: SyncListener) => void): void {
    for (const [listener, nodeId] of document.listeners) {
      // A node never hears its own appends back: it applied and broadcast them itself.
      if (nodeId === fromNode) continue;
      try {
        send(listener);
      } catch (error) {
        // The update is stored; one listener's failure must not undo that for the appender.
        this.onBackgroundError(error);
      }
    }
  }
}

/** The embedded shape's sync layer: state lives in this process, shared through a hub. */
export class MemorySyncLayer implements SyncLayer {
  /** Nothing to lose contact with: the hub is in this process. */
  readonly reachable = true;

  constructor(
    private readonly nodeId: string,
    private readonly hub: MemorySyncHub = new MemorySyncHub(),
  ) {}

  async initDocument(docKey: string): Promise<boolean> {
    return this.hub.init(docKey);
  }

  async holdsDocument(docKey: string): Promise<boolean> {
    return this.hub.has(docKey);
  }

  async append(docKey: string, update: Uint8Array): Promise<void> {
    this.hub.append(docKey, update, this.nodeId);
  }

  async publishAwareness(docKey: string, awarenessUpdate: Uint8Array): Promise<void> {
    this.hub.publishAwareness(docKey, awarenessUpdate, this.nodeId);
  }

  async publishStateless(docKey: string, payload: string): Promise<void> {
    this.hub.publishStateless(docKey, payload, this.nodeId);
  }

  async attach(docKey: string, listener: SyncListener): Promise<SyncAttachment> {
    const state = this.hub.attach(docKey, listener, this.nodeId);
    return {
      state,
      detach: async () => this.hub.detach(docKey, listener),
    };
  }

  async deleteDocument(docKey: string): Promise<void> {
    this.hub.delete(docKey);
  }

  async endDocument(docKey: string): Promise<void> {
    this.hub.end(docKey, this.nodeId);
  }

  async holdLease(docKey: string, name: string, ttlMs: number): Promise<boolean> {
    return this.hub.holdLease(docKey, name, ttlMs, this.nodeId);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
