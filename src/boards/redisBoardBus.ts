import { silentLogger, type Logger } from '../log.js';
import { openRedisConnections, type RedisConnections } from '../sync/index.js';
import type { BoardBus, BoardBusListener, BoardBusMessage, BoardBusSubscription } from './boardBus.js';

export interface RedisBoardBusOptions {
  /** `redis://`, `rediss://` or `redis+cluster://host:port,...`. */
  url: string;
  nodeId: string;
  /** First part of every channel name (the sync layer's prefix, so deployments sharing a Redis stay apart). */
  keyPrefix?: string;
  logger?: Logger;
}

/**
 * The board bus on Redis pub/sub: one channel per board (sharded pub/sub in a Redis Cluster, its
 * hash tag the board key's base64url, so a board's messages stay in one shard). Messages are JSON.
 * Pub/sub may drop messages while a connection is down; when the subscription is back every
 * listener gets a `resync` so its board reads what it missed from the event log.
 */
export class RedisBoardBus implements BoardBus {
  private readonly connections: RedisConnections;
  private readonly keyPrefix: string;
  private readonly logger: Logger;
  private readonly channels = new Map<string, Set<BoardBusListener>>();

  constructor(private readonly options: RedisBoardBusOptions) {
    this.keyPrefix = options.keyPrefix ?? 'wiresocket';
    this.logger = options.logger ?? silentLogger();
    this.connections = openRedisConnections({
      url: options.url,
      name: `${options.nodeId}:boards`,
      events: {
        onMessage: (channel, message) => this.deliver(channel, message),
        onResubscribed: () => this.resyncAll(),
        onError: (error, what) => this.logger.warn({ err: error }, `redis board bus: ${what}`),
      },
    });
  }

  async subscribe(boardKey: string, listener: BoardBusListener): Promise<BoardBusSubscription> {
    const channel = this.channelOf(boardKey);
    let listeners = this.channels.get(channel);
    const first = !listeners;
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    listeners.add(listener);
    try {
      if (first) await this.connections.subscribe(channel);
    } catch (error) {
      this.drop(channel, listener);
      throw error;
    }
    return { unsubscribe: async () => this.unsubscribe(channel, listener) };
  }

  async publish(boardKey: string, message: BoardBusMessage): Promise<void> {
    await this.connections.publish(this.channelOf(boardKey), Buffer.from(JSON.stringify(message), 'utf8'));
  }

  async close(): Promise<void> {
    this.channels.clear();
    await this.connections.close();
  }

  private channelOf(boardKey: string): string {
    return `${this.keyPrefix}:board:{${Buffer.from(boardKey, 'utf8').toString('base64url')}}:bus`;
  }

  private deliver(channel: string, raw: Buffer): void {
    const listeners = this.channels.get(channel);
    if (!listeners) return;
    let message: BoardBusMessage;
    try {
      message = JSON.parse(raw.toString('utf8')) as BoardBusMessage;
    } catch {
      return this.logger.warn({ channel }, 'redis board bus: a message that is not JSON was ignored');
    }
    if (message.nodeId === this.options.nodeId) return;
    for (const listener of listeners) listener(message);
  }

  private resyncAll(): void {
    for (const listeners of this.channels.values()) for (const listener of listeners) listener({ kind: 'resync', nodeId: this.options.nodeId });
  }

  private async unsubscribe(channel: string, listener: BoardBusListener): Promise<void> {
    if (this.drop(channel, listener)) await this.connections.unsubscribe(channel);
  }

  /** Forgets the listener; true when the channel has none left. */
  private drop(channel: string, listener: BoardBusListener): boolean {
    const listeners = this.channels.get(channel);
    listeners?.delete(listener);
    if (listeners?.size !== 0) return false;
    this.channels.delete(channel);
    return true;
  }
}
