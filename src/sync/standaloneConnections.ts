import { Redis, type RedisOptions } from 'ioredis';
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

type StandaloneTarget = Extract<RedisTarget, { kind: 'standalone' }>;

/** Channels are (re)subscribed in batches so one command never carries thousands of names. */
const subscribeBatch = 500;

/**
 * One Redis server: a command connection and a subscriber connection. The subscriber does not
 * resubscribe by itself (`autoResubscribe: false`): the layer does it, waits for Redis to
 * confirm, and only then tells readers to re-read their streams, so no message can fall between
 * the re-read and the subscription.
 */
export class StandaloneConnections implements RedisConnections {
  readonly publishCommand = 'PUBLISH';
  /** Commands and scripts; a turn's commands share one socket write (turnCork.ts). */
  readonly commands: RedisCommandClient;
  private readonly client: Redis;
  private readonly cork = new TurnCork(() => [this.client.stream]);
  private readonly subscriber: Redis;
  private readonly channels = new Set<string>();
  private scriptsLoaded: Promise<void> = Promise.resolve();
  private subscriberWasReady = false;

  constructor(
    target: StandaloneTarget,
    nodeId: string,
    private readonly scripts: readonly RedisScript[],
    private readonly timeouts: RedisTimeouts,
    private readonly events: RedisConnectionEvents,
  ) {
    this.client = new Redis(connectionOptions(target, `wiresocket:${nodeId}:commands`, timeouts));
    this.commands = corkedCommands(this.client, this.cork);
    this.subscriber = new Redis({ ...connectionOptions(target, `wiresocket:${nodeId}:subscriber`, timeouts), autoResubscribe: false });
    this.client.on('ready', () => {
      this.scriptsLoaded = this.loadScripts();
    });
    this.client.on('error', (error: unknown) => events.onError(error, 'redis command connection'));
    this.subscriber.on('error', (error: unknown) => events.onError(error, 'redis subscriber connection'));
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => events.onMessage(channel.toString('latin1'), message));
    this.subscriber.on('ready', () => this.onSubscriberReady());
  }

  get reachable(): boolean {
    return this.client.status === 'ready';
  }

  async ready(): Promise<void> {
    await whenReady(this.client, this.timeouts.readyTimeoutMs, 'Redis');
    await this.scriptsLoaded;
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    await whenReady(this.subscriber, this.timeouts.readyTimeoutMs, 'the Redis subscriber');
    await this.subscriber.subscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    // Not subscribed any more once the connection dropped; a resubscribe skips this channel.
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(channel);
  }

  async publish(channel: string, message: Buffer): Promise<void> {
    await this.ready();
    this.cork.hold();
    await this.client.publish(channel, message);
  }

  async ping(): Promise<void> {
    await this.ready();
    await this.client.ping();
  }

  async close(): Promise<void> {
    await Promise.all([quitWithin(this.client, 1000), quitWithin(this.subscriber, 1000)]);
  }

  private async loadScripts(): Promise<void> {
    try {
      await Promise.all(this.scripts.map((script) => this.client.script('LOAD', script.source)));
    } catch (error) {
      // EVALSHA falls back to EVAL; a failed preload costs order only in a rare race.
      this.events.onError(error, 'redis script preload');
    }
  }

  private onSubscriberReady(): void {
    if (!this.subscriberWasReady) {
      this.subscriberWasReady = true;
      return;
    }
    this.resubscribe().then(
      () => this.events.onResubscribed(),
      (error: unknown) => {
        this.events.onError(error, 'redis resubscribe');
        // Drop the connection: the next 'ready' retries, instead of silently missing messages.
        this.subscriber.disconnect(true);
      },
    );
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.channels];
    for (let start = 0; start < channels.length; start += subscribeBatch) {
      await this.subscriber.subscribe(...channels.slice(start, start + subscribeBatch));
    }
  }
}

function connectionOptions(target: StandaloneTarget, connectionName: string, timeouts: RedisTimeouts): RedisOptions {
  return {
    host: target.address.host,
    port: target.address.port,
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    connectionName,
    // A write while Redis is away must fail now (the caller closes the socket with 4503), not
    // wait in an unbounded queue or be replayed later behind the caller's back.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeouts.commandTimeoutMs,
    connectTimeout: Math.max(timeouts.readyTimeoutMs, 1000),
    retryStrategy: reconnectDelay,
  };
}
