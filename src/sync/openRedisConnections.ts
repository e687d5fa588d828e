import { ClusterConnections } from './clusterConnections.js';
import type { RedisConnectionEvents, RedisConnections, RedisTimeouts } from './redisConnections.js';
import type { RedisScript } from './redisScript.js';
import { parseRedisUrl } from './redisUrl.js';
import { StandaloneConnections } from './standaloneConnections.js';

export interface RedisConnectionsOptions {
  /** `redis://`, `rediss://` or `redis+cluster://host:port,...` (redisUrl.ts). */
  url: string;
  /** Names the connections in CLIENT LIST (`wiresocket:<name>:...`). */
  name: string;
  events: RedisConnectionEvents;
  scripts?: readonly RedisScript[];
  timeouts?: RedisTimeouts;
}

const defaultTimeouts: RedisTimeouts = { readyTimeoutMs: 1_000, commandTimeoutMs: 5_000 };

/** Command and pub/sub connections to one Redis or a Redis Cluster, whichever the URL names. */
export function openRedisConnections(options: RedisConnectionsOptions): RedisConnections {
  const target = parseRedisUrl(options.url);
  const scripts = options.scripts ?? [];
  const timeouts = options.timeouts ?? defaultTimeouts;
  return target.kind === 'cluster'
    ? new ClusterConnections(target, options.name, scripts, timeouts, options.events)
    : new StandaloneConnections(target, options.name, scripts, timeouts, options.events);
}
