import { Cluster, type Redis } from 'ioredis';
import {
  quitWithin,
  reconnectDelay,
  whenReady,
  type RedisConnectionEvents,
  type RedisConnections,
  type RedisTimeouts,
} from './redisConnections.js';
import type { RedisCommandClient, RedisScript } from './redisScript.js';
import type { RedisTarget } from './redisUrl.js';
import { corkedCommands, TurnCork } from './turnCork.js';

type ClusterTarget = Extract<RedisTarget, { kind: 'cluster' }>;

/**
 * A Redis Cluster through one ioredis `Cluster`: commands go to the slot's master, and sharded
 * pub/sub (`SSUBSCRIBE`, Redis 7) keeps one subscriber connection per master, so a document's
 * messages stay inside its shard instead of crossing the cluster bus.
 *
 * ioredis replaces a lost sharded subscriber and resubscribes it without waiting for the
 * confirmation, then emits `subscribersReady`; the layer re-reads its streams then and once
 * more shortly after, and its periodic check covers whatever that still misses.
 */
export class ClusterConnections implements RedisConnections {
  readonly publishCommand = 'SPUBLISH';
  /** Commands and scripts; a turn's commands share one write per node (turnCork.ts). */
  readonly commands: RedisCommandClient;
  private readonly cluster: Cluster;
  private readonly cork = new TurnCork(() => this.cluster.nodes('master').map((node) => node.stream));
  private scriptsLoaded: Promise<void> = Promise.resolve();
  private readonly lateResync = new Set<NodeJS.Timeout>();

  constructor(
    target: ClusterTarget,
    nodeId: string,
    private readonly scripts: readonly RedisScript[],
    private readonly timeouts: RedisTimeouts,
    private readonly events: RedisConnectionEvents,
  ) {
    this.cluster = new Cluster(target.nodes, {
      shardedSubscribers: true,
      // Kept on: with it off, ioredis refuses commands to a node that is still connecting (its
      // own ready check included), so a fresh or re-formed pool fails at random. Unbounded
      // queueing is prevented instead by `ready()` (nothing is sent unless the cluster is
      // ready), `commandTimeout` (every call settles) and few, short redirection retries.
      enableOfflineQueue: true,
      maxRedirections: 6,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: 2000,
      redisOptions: {
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
        connectionName: `wiresocket:${nodeId}`,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
        commandTimeout: timeouts.commandTimeoutMs,
        connectTimeout: Math.max(timeouts.readyTimeoutMs, 1000),
      },
    });
    this.commands = corkedCommands(this.cluster, this.cork);
    this.cluster.on('error', (error: unknown) => events.onError(error, 'redis cluster'));
    this.cluster.on('smessageBuffer', (channel: Buffer, message: Buffer) => events.onMessage(channel.toString('latin1'), message));
    this.cluster.on('ready', () => {
      this.scriptsLoaded = this.loadScripts(this.cluster.nodes('master'));
    });
    this.cluster.on('+node', (node: Redis) => {
      void this.loadScripts([node]);
    });
    this.cluster.on('subscribersReady', () => this.onSubscribersReady());
  }

  get reachable(): boolean {
    return this.cluster.status === 'ready';
  }

  async ready(): Promise<void> {
    await whenReady(this.cluster, this.timeouts.readyTimeoutMs, 'the Redis cluster');
    await this.scriptsLoaded;
  }

  async subscribe(channel: string): Promise<void> {
    await this.ready();
    await this.cluster.ssubscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (this.cluster.status === 'ready') await this.cluster.sunsubscribe(channel);
  }

  async publish(channel: string, message: Buffer): Promise<void> {
    await this.ready();
    this.cork.hold();
    await this.cluster.spublish(channel, message);
  }

  async ping(): Promise<void> {
    await this.ready();
    await this.cluster.ping();
  }

  async close(): Promise<void> {
    for (const timer of this.lateResync) clearTimeout(timer);
    await quitWithin(this.cluster, 1000);
  }

  private async loadScripts(nodes: readonly Redis[]): Promise<void> {
    try {
      await Promise.all(nodes.flatMap((node) => this.scripts.map((script) => node.script('LOAD', script.source))));
    } catch (error) {
      this.events.onError(error, 'redis script preload');
    }
  }

  private onSubscribersReady(): void {
    this.events.onResubscribed();
    // ioredis sent the SSUBSCRIBEs without awaiting them; re-read once they surely landed.
    const timer = setTimeout(() => {
      this.lateResync.delete(timer);
      this.events.onResubscribed();
    }, 500);
    timer.unref();
    this.lateResync.add(timer);
  }
}
