import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisSyncLayer, type RedisSyncLayerOptions } from '../../src/sync/redisSyncLayer.js';
import type { SyncLayerPairFactory } from './syncLayerContract.js';

export const standaloneRedisUrl = 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at host:port within a second. */
export async function redisAnswers(port = 6379): Promise<boolean> {
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Whether the `redis-server` binary (needed to start a test cluster) is installed. */
export async function redisServerInstalled(): Promise<boolean> {
  try {
    await promisify(execFile)('redis-server', ['--version'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** A plain connection for a test's own checks (XLEN, TTL, SCAN, CLIENT KILL). */
export function adminClient(port = 6379): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

export function redisLayer(url: string, keyPrefix: string, options: Partial<RedisSyncLayerOptions> = {}): RedisSyncLayer {
  return new RedisSyncLayer({ url, keyPrefix, nodeId: `node-${randomUUID()}`, ...options });
}

/** The layers a test opened, closed after it whether it passed or not (no leaked sockets). */
export class LayerPool {
  private readonly open: RedisSyncLayer[] = [];

  constructor(private readonly base: () => { url: string; keyPrefix: string }) {}

  layer(options: Partial<RedisSyncLayerOptions> = {}): RedisSyncLayer {
    const { url, keyPrefix } = this.base();
    const layer = redisLayer(url, keyPrefix, options);
    this.open.push(layer);
    return layer;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((layer) => layer.close()));
  }
}

/** Two Redis layers (two "nodes") on one Redis, for the contract suite. */
export function redisPairFactory(url: string, keyPrefix: string, options: Partial<RedisSyncLayerOptions> = {}): SyncLayerPairFactory {
  return async () => {
    const nodeIds: [string, string] = [`node-${randomUUID()}`, `node-${randomUUID()}`];
    const nodes: [RedisSyncLayer, RedisSyncLayer] = [
      redisLayer(url, keyPrefix, { ...options, nodeId: nodeIds[0] }),
      redisLayer(url, keyPrefix, { ...options, nodeId: nodeIds[1] }),
    ];
    return { nodes, nodeIds, close: async () => void (await Promise.all(nodes.map((node) => node.close()))) };
  };
}

/** Every key under the prefix (the test DB is shared: a run only ever touches its own prefix). */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  for (let start = 0; start < keys.length; start += 500) await client.del(...keys.slice(start, start + 500));
}

/** Kills the connections whose CLIENT SETNAME contains `nameFragment`; returns how many. */
export async function killClientsNamed(client: Redis, nameFragment: string): Promise<number> {
  const list = String(await client.client('LIST'));
  const ids = list
    .split('\n')
    .filter((line) => /\bname=(\S*)/.exec(line)?.[1]?.includes(nameFragment))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await client.client('KILL', 'ID', id);
  return ids.length;
}

/**
 * The gate of a suite that needs the shared Redis on 127.0.0.1:6379: without it the suite is
 * skipped with a loud notice, except under CI=true, where it runs and its `before` fails.
 */
export async function sharedRedisGate(): Promise<{ available: boolean; skip: string | false }> {
  const available = await redisAnswers();
  const ci = process.env.CI === 'true';
  if (!available && !ci) console.warn('\n*** SKIPPING a suite that needs Redis on 127.0.0.1:6379 (with CI=true this fails) ***\n');
  return { available, skip: available || ci ? false : 'Redis is not answering on 127.0.0.1:6379' };
}
