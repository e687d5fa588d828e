import { randomUUID } from 'node:crypto';
import { silentLogger, type Logger } from '../log.js';
import { housekeeping } from '../scheduling/index.js';
import { WorkerCompactionMerger, type CompactionMerger } from './compactionMerger.js';
import { DocumentFeed } from './documentFeed.js';
import { RedisCompactor } from './redisCompactor.js';
import type { RedisConnectionEvents, RedisConnections } from './redisConnections.js';
import { decodeRedisEvent, encodeAwarenessEvent, encodeEndedEvent, encodeStatelessEvent } from './redisEvents.js';
import { checkKeyPrefix, defaultKeyPrefix, documentLeaseKey, documentRedisKeys, type DocumentRedisKeys } from './redisKeys.js';
import type { RedisCommandClient } from './redisScript.js';
import { allScripts, appendScript, initScript, leaseScript, notInitialisedError, touchScript } from './redisScripts.js';
import { mergedState, readSnapshot } from './redisSnapshot.js';
import { readStreamAfter } from './redisStreamRead.js';
import { openRedisConnections } from './openRedisConnections.js';
import { writerTag } from './writerTag.js';
import type { SyncAttachment, SyncLayer, SyncListener } from './syncLayer.js';

export interface RedisSyncLayerOptions {
  /** `redis://`, `rediss://` or `redis+cluster://host:port,host:port` (see redisUrl.ts). */
  url: string;
  /** This node's id: tags its appends so it never hears them back. */
  nodeId: string;
  /** First part of every key and channel name (lets several deployments share one Redis). */
  keyPrefix?: string;
  /** Compact a document once this many updates follow its compacted state. */
  compactEveryUpdates?: number;
  /** ... or once those updates hold this many bytes. */
  compactEveryBytes?: number;
  /** Keys of a document nobody appends to or attaches to expire after this long (crash litter). */
  keyTtlSeconds?: number;
  /** How often attached documents are checked for entries pub/sub did not bring. */
  resyncIntervalMs?: number;
  /** A Redis command without a reply after this long fails (a hung or partitioned Redis). */
  commandTimeoutMs?: number;
  /** How long a call waits for a (re)connecting Redis before it fails. */
  readyTimeoutMs?: number;
  logger?: Logger;
}

export const redisSyncDefaults = {
  keyPrefix: defaultKeyPrefix,
  compactEveryUpdates: 500,
  compactEveryBytes: 1024 * 1024,
  keyTtlSeconds: 24 * 60 * 60,
  resyncIntervalMs: 10_000,
  commandTimeoutMs: 5_000,
  readyTimeoutMs: 1_000,
} as const;

/** What a freshly initialised document holds: an update with no structs and no deletions. */
const emptyState = Buffer.from([0, 0]);

interface FeedHandle {
  feed: DocumentFeed;
  keys: DocumentRedisKeys;
  /** Attachments plus attaches under way; the channel is dropped when this reaches zero. */
  users: number;
  subscribed: Promise<void>;
}

/**
 * The cluster shape's sync layer: per document a Redis stream of updates and a compacted state
 * (redisScripts.ts), delivery through a per-document pub/sub channel checked against the stream
 * (documentFeed.ts), and compaction by whichever node's append crosses the threshold
 * (redisCompactor.ts).
 *
 * On Redis loss: calls wait at most `readyTimeoutMs` for a reconnect and then reject; nothing is
 * queued for later, and a sent command settles within `commandTimeoutMs`. An append that Redis
 * did not confirm rejects (the caller closes its sender with 4503). Attached readers keep their
 * cursors; when the subscription is back they re-read their streams from there, so they resume
 * where they were, not from "now". A document found gone or created anew (a Redis restart
 * without persistence, an expired key: the periodic check, an append reply or a snapshot shows
 * its epoch changed) makes its listeners resync, so the nodes write back what Redis lost.
 */
export class RedisSyncLayer implements SyncLayer {
  private readonly nodeId: string;
  /** What this node's stream entries carry instead of its id (writerTag.ts). */
  private readonly writerTag: string;
  private readonly keyPrefix: string;
  private readonly ttlSeconds: number;
  private readonly logger: Logger;
  private readonly connections: RedisConnections;
  private readonly compactor: RedisCompactor;
  private readonly merger: CompactionMerger = new WorkerCompactionMerger();
  private readonly feeds = new Map<string, FeedHandle>();
  private readonly feedsByChannel = new Map<string, FeedHandle>();
  private readonly resyncTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: RedisSyncLayerOptions) {
    const settings = { ...redisSyncDefaults, ...definedOnly(options) };
    for (const name of ['compactEveryUpdates', 'compactEveryBytes', 'keyTtlSeconds', 'resyncIntervalMs', 'commandTimeoutMs', 'readyTimeoutMs'] as const) {
      checkPositiveInteger(name, settings[name]);
    }
    this.nodeId = options.nodeId;
    this.writerTag = writerTag(options.nodeId);
    this.keyPrefix = checkKeyPrefix(settings.keyPrefix);
    this.ttlSeconds = settings.keyTtlSeconds;
    this.logger = options.logger ?? silentLogger();
    const timeouts = { readyTimeoutMs: settings.readyTimeoutMs, commandTimeoutMs: settings.commandTimeoutMs };
    this.connections = openRedisConnections({ url: options.url, name: this.nodeId, scripts: allScripts, timeouts, events: this.connectionEvents() });
    this.compactor = new RedisCompactor({
      client: () => this.client(),
      keyPrefix: this.keyPrefix,
      ttlSeconds: this.ttlSeconds,
      policy: { everyUpdates: settings.compactEveryUpdates, everyBytes: settings.compactEveryBytes },
      merger: this.merger,
      onError: (error, docKey) => {
        if (!this.closed) this.logger.warn({ err: error, docKey }, 'redis sync layer: compaction failed (retried on a later append)');
      },
    });
    this.resyncTimer = setInterval(() => this.resyncAll(), settings.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  async initDocument(docKey: string): Promise<boolean> {
    const keys = this.keys(docKey);
    const client = await this.client();
    const created = await initScript.run(client, [keys.state, keys.stream], [this.ttlSeconds, emptyState, randomUUID()]);
    this.merger.prewarm();
    return Number(created) === 1;
  }

  async holdsDocument(docKey: string): Promise<boolean> {
    const client = await this.client();
    return Number(await client.callBuffer('EXISTS', this.keys(docKey).state)) > 0;
  }

  /**
   * Resolves when Redis confirmed the XADD (the reply of the append script); it never waits for
   * the entry to come back through pub/sub. Crossing the compaction threshold starts a
   * compaction in the background.
   */
  async append(docKey: string, update: Uint8Array): Promise<void> {
    const keys = this.keys(docKey);
    const client = await this.client();
    let reply: unknown;
    try {
      reply = await appendScript.run(client, [keys.state, keys.stream], [
        this.ttlSeconds,
        this.writerTag,
        Buffer.from(update.buffer, update.byteOffset, update.byteLength),
        keys.channel,
        this.connections.publishCommand,
      ]);
    } catch (error) {
      throw this.documentError(docKey, 'append to', error);
    }
    if (!Array.isArray(reply)) throw new Error('unexpected append reply from Redis');
    if (this.compactor.dueAfterAppend(Number(reply[1]), Number(reply[2]))) this.compactor.request(docKey);
    const epoch: unknown = reply[3];
    if (Buffer.isBuffer(epoch)) this.feeds.get(docKey)?.feed.noteEpoch(epoch.toString('latin1'));
  }

  async publishAwareness(docKey: string, awarenessUpdate: Uint8Array): Promise<void> {
    this.assertOpen();
    await this.connections.publish(this.keys(docKey).channel, encodeAwarenessEvent(this.nodeId, awarenessUpdate));
  }

  async publishStateless(docKey: string, payload: string): Promise<void> {
    this.assertOpen();
    await this.connections.publish(this.keys(docKey).channel, encodeStatelessEvent(this.nodeId, payload));
  }

  /**
   * Subscribes first, then reads the state and the entries after it in one script, then starts
   * delivery after the last id that read covered: whatever is appended meanwhile is either in
   * the state or arrives (through pub/sub or a catch-up read) after it.
   */
  async attach(docKey: string, listener: SyncListener): Promise<SyncAttachment> {
    const handle = this.acquireFeed(docKey);
    try {
      await handle.subscribed;
      const snapshot = await readSnapshot(await this.client(), handle.keys, this.ttlSeconds);
      const state = mergedState(snapshot);
      handle.feed.noteEpoch(snapshot.epoch);
      const subscription = handle.feed.add(listener, snapshot.last);
      let detached = false;
      return {
        state,
        detach: async () => {
          if (detached) return;
          detached = true;
          handle.feed.remove(subscription);
          this.releaseFeed(docKey, handle);
        },
      };
    } catch (error) {
      this.releaseFeed(docKey, handle);
      throw this.documentError(docKey, 'attach to', error);
    }
  }

  async deleteDocument(docKey: string): Promise<void> {
    const keys = this.keys(docKey);
    const client = await this.client();
    await client.callBuffer('DEL', keys.state, keys.stream);
  }

  /** Deleted first, announced after: a node that hears of it finds nothing left to write into. */
  async endDocument(docKey: string): Promise<void> {
    await this.deleteDocument(docKey);
    await this.connections.publish(this.keys(docKey).channel, encodeEndedEvent(this.nodeId));
  }

  async holdLease(docKey: string, name: string, ttlMs: number): Promise<boolean> {
    const client = await this.client();
    const reply = await leaseScript.run(client, [documentLeaseKey(this.keyPrefix, docKey, name)], [this.nodeId, Math.max(1, Math.round(ttlMs))]);
    return Number(reply) === 1;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.connections.ping();
  }

  get reachable(): boolean {
    return !this.closed && this.connections.reachable;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.resyncTimer);
    this.compactor.dropWaiting();
    await this.compactor.idle();
    await this.merger.close();
    this.feeds.clear();
    this.feedsByChannel.clear();
    await this.connections.close();
  }

  private keys(docKey: string): DocumentRedisKeys {
    return documentRedisKeys(this.keyPrefix, docKey);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the Redis sync layer is closed');
  }

  private async client(): Promise<RedisCommandClient> {
    this.assertOpen();
    await this.connections.ready();
    return this.connections.commands;
  }

  private acquireFeed(docKey: string): FeedHandle {
    const existing = this.feeds.get(docKey);
    if (existing) {
      existing.users++;
      return existing;
    }
    const keys = this.keys(docKey);
    const feed = new DocumentFeed(
      { nodeId: this.nodeId, writerTag: this.writerTag },
      {
        readAfter: async (after, count) => readStreamAfter(await this.client(), keys, after, count),
        snapshot: async () => {
          const snapshot = await readSnapshot(await this.client(), keys, this.ttlSeconds);
          return { state: mergedState(snapshot), last: snapshot.last, epoch: snapshot.epoch };
        },
      },
      {
        listenerFailed: (error) => this.logger.error({ err: error, docKey }, 'redis sync layer: a listener threw'),
        catchUpFailed: (error) => {
          if (!this.closed) this.logger.warn({ err: error, docKey }, 'redis sync layer: catch-up read failed (retried on the next check)');
        },
      },
    );
    this.assertOpen();
    const subscribed = this.connections.subscribe(keys.channel);
    // Awaited by the attach; this only keeps a failure nobody awaits any more from going unhandled.
    subscribed.catch(() => undefined);
    const handle: FeedHandle = { feed, keys, users: 1, subscribed };
    this.feeds.set(docKey, handle);
    this.feedsByChannel.set(keys.channel, handle);
    return handle;
  }

  private releaseFeed(docKey: string, handle: FeedHandle): void {
    handle.users--;
    if (handle.users > 0 || this.feeds.get(docKey) !== handle) return;
    this.feeds.delete(docKey);
    this.feedsByChannel.delete(handle.keys.channel);
    if (this.closed) return;
    this.connections.unsubscribe(handle.keys.channel).catch((error: unknown) => {
      this.logger.warn({ err: error, docKey }, 'redis sync layer: unsubscribe failed');
    });
  }

  private connectionEvents(): RedisConnectionEvents {
    return {
      onMessage: (channel, message) => {
        const handle = this.feedsByChannel.get(channel);
        const event = handle ? decodeRedisEvent(message) : null;
        if (handle && event) handle.feed.onEvent(event);
      },
      onResubscribed: () => this.resyncAll(),
      onError: (error, what) => {
        if (!this.closed) this.logger.warn({ err: error }, `redis sync layer: ${what}`);
      },
    };
  }

  /**
   * Asks Redis for each attached document's last id and epoch: feeds that are behind re-read;
   * feeds whose document is gone or was created anew ask their listeners to reconcile. One
   * housekeeping-queue task per document (issue 14): with thousands attached, the checks (and
   * the catch-up reads their replies start) go out a budget per turn, not all in one tick.
   */
  private resyncAll(): void {
    if (this.closed) return;
    for (const [docKey, handle] of this.feeds) {
      if (handle.feed.size === 0) continue;
      housekeeping.enqueue(() => {
        if (!this.closed && this.feeds.get(docKey) === handle && handle.feed.size > 0) this.resync(docKey, handle);
      }, 'redis-resync');
    }
  }

  private resync(docKey: string, handle: FeedHandle): void {
    this.client()
      .then((client) => touchScript.run(client, [handle.keys.state, handle.keys.stream], [this.ttlSeconds]))
      .then((reply) => {
        const [last, epoch]: unknown[] = Array.isArray(reply) ? reply : [];
        if (!Buffer.isBuffer(last) || !Buffer.isBuffer(epoch)) return handle.feed.resyncNeeded();
        handle.feed.noteEpoch(epoch.toString('latin1'));
        handle.feed.noteLast(last.toString('latin1'));
      })
      .catch((error: unknown) => {
        if (!this.closed) this.logger.warn({ err: error, docKey }, 'redis sync layer: resync check failed (retried on the next check)');
      });
  }

  private documentError(docKey: string, action: string, error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith(notInitialisedError)) return new Error(`sync layer: document ${JSON.stringify(docKey)} is not initialised`, { cause: error });
    return new Error(`sync layer: cannot ${action} document ${JSON.stringify(docKey)} in Redis: ${message}`, { cause: error });
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`invalid Redis sync layer option ${name}: ${value} (a positive integer)`);
}
