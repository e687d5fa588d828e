import { Redis } from 'ioredis';

/** The keys the Redis sync layer uses for one document (same rule as src/sync/redisKeys.ts). */
export function documentRedisKeyNames(docKey: string, prefix = 'wiresocket'): string[] {
  const base = `${prefix}:doc:{${Buffer.from(docKey, 'utf8').toString('base64url')}}`;
  return [`${base}:state`, `${base}:stream`];
}

/** The run's own Redis key prefix: its keys can neither meet nor hide among anyone else's. */
export function benchKeyPrefix(runId: string): string {
  return `wiresocket-bench-${runId}`;
}

/**
 * The benchmark's own Redis connection: CPU counters for the per-update cost of Redis itself,
 * and the check that a run leaves no document keys behind.
 */
export class RedisProbe {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'wiresocket-bench' });
    this.client.on('error', () => undefined);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** used_cpu_user + used_cpu_sys of the redis-server process, in seconds. */
  async cpuSeconds(): Promise<number> {
    const info = await this.client.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  }

  /** Deletes every key under `prefix:` (the run's own prefix); returns how many there were. */
  async removeLeftovers(prefix: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) removed += await this.client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return removed;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Stops a run that needs Redis before it starts anything, with a message that says so. */
export async function assertRedisReachable(url: string): Promise<void> {
  const probe = new RedisProbe(url);
  try {
    await probe.connect();
    await probe.cpuSeconds();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${url}: ${(error as Error).message}`, { cause: error });
  } finally {
    await probe.close();
  }
}
