import { createHash } from 'node:crypto';

export type RedisArgument = string | Buffer | number;

/** The one command shape the sync layer needs from both `Redis` and `Cluster` clients. */
export interface RedisCommandClient {
  callBuffer(...args: [command: string, ...args: RedisArgument[]]): Promise<unknown>;
}

/**
 * A Lua script run by its SHA1 (EVALSHA). The layer preloads every script when a connection
 * becomes ready, because a NOSCRIPT fallback to EVAL can let a later call overtake an earlier
 * one; the fallback stays for the rare cache loss (SCRIPT FLUSH, a failover to a fresh node).
 */
export class RedisScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisCommandClient, keys: readonly string[], args: readonly RedisArgument[]): Promise<unknown> {
    try {
      return await client.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.callBuffer('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }
}
