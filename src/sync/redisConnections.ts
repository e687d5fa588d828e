import type { RedisCommandClient } from './redisScript.js';

/** What the Redis sync layer needs from its connections, the same for one server or a cluster. */
export interface RedisConnections {
  /** Commands and scripts (never blocking, never in subscriber mode). */
  readonly commands: RedisCommandClient;
  /** `PUBLISH` on one server (works on Redis 6), `SPUBLISH` in a cluster (stays in the slot's shard). */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  /** Whether commands can be sent right now (the command connection is ready). */
  readonly reachable: boolean;
  /** Resolves once commands can be sent; rejects when Redis does not become ready in time. */
  ready(): Promise<void>;
  /** Resolves once Redis confirmed the subscription (messages published later will arrive). */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  publish(channel: string, message: Buffer): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the connections report to the layer. */
export interface RedisConnectionEvents {
  /** A message on a subscribed channel. */
  onMessage(channel: string, message: Buffer): void;
  /**
   * Subscriptions were lost (a dropped or replaced subscriber connection) and are back:
   * messages published in between never arrived, so readers must re-read their streams.
   */
  onResubscribed(): void;
  /** Background trouble worth a log line (connection errors, resubscribe failures). */
  onError(error: unknown, what: string): void;
}

/** Timing limits shared by both connection kinds. */
export interface RedisTimeouts {
  /** How long a call waits for a (re)connecting Redis before it rejects. */
  readyTimeoutMs: number;
  /** A command without a reply after this long rejects (a hung or partitioned Redis). */
  commandTimeoutMs: number;
}

/**
 * Waits for `status` to become `ready`, bounded: with no offline queue a command sent earlier
 * would be refused at once, and one sent to a dead Redis must fail promptly, not queue forever.
 */
export function whenReady(
  client: { status: string; once(event: 'ready', listener: () => void): unknown; off(event: 'ready', listener: () => void): unknown },
  timeoutMs: number,
  what: string,
): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'end') return Promise.reject(new Error(`${what} is closed`));
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`${what} is not reachable (not ready within ${timeoutMs} ms; status ${client.status})`));
    }, timeoutMs);
    client.once('ready', onReady);
  });
}

/** Quits politely, but never waits longer than `timeoutMs` on a Redis that does not answer. */
export async function quitWithin(client: { quit(): Promise<unknown>; disconnect(): void }, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([client.quit().catch(() => undefined), timeout]);
  clearTimeout(timer);
  client.disconnect();
}

/** Reconnect backoff: quick first retries, at most 2 s apart, forever (a reader must come back). */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}
