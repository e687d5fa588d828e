import * as Y from 'yjs';
import { isEmptyUpdate } from './emptyUpdate.js';
import type { RedisDocumentEvent } from './redisEvents.js';
import { compareStreamIds, streamStart } from './streamIds.js';
import type { SyncListener } from './syncLayer.js';

/** One stream entry as a reader sees it. */
export interface StreamEntry {
  id: string;
  /** The id of the entry appended just before this one (the chain a reader checks). */
  prev: string;
  /** The appending node's writer tag (writerTag.ts). */
  writer: string;
  update: Uint8Array;
}

/** Where a feed re-reads what pub/sub did not bring. */
export interface FeedSource {
  /** Up to `count` entries after `after`, in stream order. */
  readAfter(after: string, count: number): Promise<StreamEntry[]>;
  /** The merged state now, the last id it covers and the document's epoch (for a reader the trim overtook). */
  snapshot(): Promise<{ state: Uint8Array; last: string; epoch: string }>;
}

export interface FeedReports {
  listenerFailed(error: unknown): void;
  catchUpFailed(error: unknown): void;
}

/** Entries per catch-up read: bounds one reply, however far a reader fell behind. */
const readBatch = 500;

/** One attached listener and the id of the last entry it has (in its state or delivered). */
class FeedSubscription {
  detached = false;

  constructor(
    readonly listener: SyncListener,
    public cursor: string,
  ) {}
}

type Offer = 'taken' | 'old' | 'gap';

/**
 * Delivery of one document's entries to the listeners attached on this node.
 *
 * Reader model: the stream is the truth, pub/sub is the doorbell that also carries the entry.
 * The append script publishes each entry with the id of the one before it, so a listener takes
 * an entry only when it continues exactly from its cursor: it never skips (a missing entry shows
 * as a broken chain) and never takes one twice (older ids are ignored). A broken chain, a lost
 * subscription or the periodic check starts a catch-up that re-reads the stream from the
 * cursor; a listener that fell behind further than the stream reaches gets the merged state
 * instead (Yjs applies what it already has as a no-op, so that is late but never wrong).
 *
 * Why not one blocking XREAD loop per process: in a Redis Cluster one XREAD may only name keys
 * of one slot, so a process would need a blocking connection per attached document. Pub/sub
 * needs one subscriber connection per server (per shard with SSUBSCRIBE), and catch-up reads
 * are ordinary non-blocking commands on the shared command connection.
 */
export class DocumentFeed {
  private readonly subscriptions = new Set<FeedSubscription>();
  /** The highest entry id this node knows exists; a listener behind it needs a catch-up. */
  private highestSeen = streamStart;
  private catchingUp = false;
  private catchUpAgain = false;
  /** The document's incarnation as last seen; it changes when the state was lost and created anew. */
  private epoch: string | null = null;

  constructor(
    /** This node's id (awareness events name the node) and the tag its stream entries carry. */
    private readonly self: { nodeId: string; writerTag: string },
    private readonly source: FeedSource,
    private readonly reports: FeedReports,
  ) {}

  get size(): number {
    return this.subscriptions.size;
  }

  /** Starts delivery after `cursor` (the last id the listener's attach state covers). */
  add(listener: SyncListener, cursor: string): FeedSubscription {
    const subscription = new FeedSubscription(listener, cursor);
    this.subscriptions.add(subscription);
    // An entry published between the attach read and now went by before the listener existed.
    if (compareStreamIds(this.highestSeen, cursor) > 0) this.catchUp();
    return subscription;
  }

  /** Stops delivery; returns true when no listener is left. */
  remove(subscription: FeedSubscription): boolean {
    subscription.detached = true;
    this.subscriptions.delete(subscription);
    return this.subscriptions.size === 0;
  }

  onEvent(event: RedisDocumentEvent): void {
    if (event.kind === 'awareness') {
      if (event.nodeId !== this.self.nodeId) this.deliverAwareness(event.awareness, event.nodeId);
      return;
    }
    if (event.kind === 'ended') {
      if (event.nodeId !== this.self.nodeId) this.deliverEnded();
      return;
    }
    if (event.kind === 'stateless') {
      if (event.nodeId !== this.self.nodeId) this.deliverStateless(event.payload, event.nodeId);
      return;
    }
    this.noteExists(event.id);
    let gap = false;
    for (const subscription of this.subscriptions) gap = this.offer(subscription, event) === 'gap' || gap;
    if (gap) this.catchUp();
  }

  /** The document's last id is `last` (from a periodic check): catch up if anyone is behind. */
  noteLast(last: string): void {
    this.noteExists(last);
    if (this.anyBehind()) this.catchUp();
  }

  /**
   * Records the document's epoch (from an attach, append, check or snapshot). A different one
   * than before means the state this node's listeners hold was lost and begun again: they must
   * reconcile, since nothing in the new stream will bring back what they hold.
   */
  noteEpoch(epoch: string): void {
    if (this.epoch === epoch) return;
    const changed = this.epoch !== null;
    this.epoch = epoch;
    if (changed) this.resyncNeeded();
  }

  /** Asks every listener to reconcile with the stored state. */
  resyncNeeded(): void {
    for (const { listener } of this.subscriptions) {
      try {
        listener.onResyncNeeded();
      } catch (error) {
        this.reports.listenerFailed(error);
      }
    }
  }

  private noteExists(id: string): void {
    if (compareStreamIds(id, this.highestSeen) > 0) this.highestSeen = id;
  }

  private anyBehind(): boolean {
    for (const { cursor } of this.subscriptions) if (compareStreamIds(cursor, this.highestSeen) < 0) return true;
    return false;
  }

  private offer(subscription: FeedSubscription, entry: StreamEntry): Offer {
    if (subscription.detached || compareStreamIds(entry.id, subscription.cursor) <= 0) return 'old';
    if (entry.prev !== subscription.cursor) return 'gap';
    subscription.cursor = entry.id;
    // A node never hears its own appends: it applied and broadcast them itself.
    if (entry.writer !== this.self.writerTag) this.deliver(subscription, entry.update);
    return 'taken';
  }

  private catchUp(): void {
    if (this.catchingUp) {
      // The loop re-checks after every read, but it may be past its last check already.
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    this.catchUpAgain = false;
    this.catchUpLoop()
      .catch((error: unknown) => this.reports.catchUpFailed(error))
      .finally(() => {
        this.catchingUp = false;
        if (this.catchUpAgain && this.anyBehind()) this.catchUp();
      });
  }

  /**
   * Re-reads from the lowest cursor until nobody is behind. Entries that pub/sub brings
   * meanwhile are taken or ignored by the same chain rule, so the two paths cannot disagree.
   */
  private async catchUpLoop(): Promise<void> {
    while (this.anyBehind()) {
      const from = this.lowestCursor();
      const entries = await this.source.readAfter(from, readBatch);
      // Nothing after the cursor although later ids were seen: the document was deleted.
      if (entries.length === 0) return;
      const overtaken = new Set<FeedSubscription>();
      for (const entry of entries) {
        this.noteExists(entry.id);
        for (const subscription of this.subscriptions) {
          if (!overtaken.has(subscription) && this.offer(subscription, entry) === 'gap') overtaken.add(subscription);
        }
      }
      if (overtaken.size > 0) await this.recover(overtaken);
      // Ids that went backwards (a deleted document initialised again): stop rather than spin.
      if (this.lowestCursor() === from && this.anyBehind()) return;
    }
  }

  /** Listeners whose next entry was trimmed away get what they lack of the merged state instead. */
  private async recover(overtaken: Set<FeedSubscription>): Promise<void> {
    const { state, last, epoch } = await this.source.snapshot();
    this.noteEpoch(epoch);
    this.noteExists(last);
    for (const subscription of overtaken) {
      if (subscription.detached || compareStreamIds(last, subscription.cursor) <= 0) continue;
      subscription.cursor = last;
      const lacked = lackedOf(state, subscription.listener);
      if (lacked) this.deliver(subscription, lacked);
    }
  }

  private lowestCursor(): string {
    let lowest = this.highestSeen;
    for (const { cursor } of this.subscriptions) if (compareStreamIds(cursor, lowest) < 0) lowest = cursor;
    return lowest;
  }

  private deliver(subscription: FeedSubscription, update: Uint8Array): void {
    try {
      subscription.listener.onRemoteUpdate(update);
    } catch (error) {
      // The entry is stored; one listener's failure must not hold back the others.
      this.reports.listenerFailed(error);
    }
  }

  private deliverEnded(): void {
    for (const { listener } of [...this.subscriptions]) {
      try {
        listener.onDocumentEnded?.();
      } catch (error) {
        this.reports.listenerFailed(error);
      }
    }
  }

  private deliverStateless(payload: string, fromNodeId: string): void {
    for (const { listener } of this.subscriptions) {
      try {
        listener.onRemoteStateless?.(payload, fromNodeId);
      } catch (error) {
        this.reports.listenerFailed(error);
      }
    }
  }

  private deliverAwareness(awareness: Uint8Array, fromNodeId: string): void {
    for (const { listener } of this.subscriptions) {
      try {
        listener.onRemoteAwareness(awareness, fromNodeId);
      } catch (error) {
        this.reports.listenerFailed(error);
      }
    }
  }
}

/** The part of `state` the listener does not hold (null: nothing), or all of it if it cannot say. */
function lackedOf(state: Uint8Array, listener: SyncListener): Uint8Array | null {
  const held = listener.stateVector?.();
  if (!held) return state;
  const lacked = Y.diffUpdate(state, held);
  return isEmptyUpdate(lacked) ? null : lacked;
}

export type { FeedSubscription };
