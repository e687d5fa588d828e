import type { Logger } from '../log.js';
import { MemorySyncLayer } from './memorySyncLayer.js';
import { RedisSyncLayer } from './redisSyncLayer.js';
import type { SyncLayer } from './syncLayer.js';

export interface SyncLayerOptions {
  nodeId: string;
  /** Selects the Redis adapter: `redis://`, `rediss://` or `redis+cluster://host:port,host:port`. */
  redisUrl?: string;
  /** Redis only: first part of every key (default `wiresocket`). */
  redisKeyPrefix?: string;
  /** Redis only: compact a document after this many updates (default 500). */
  compactEveryUpdates?: number;
  /** Redis only: ... or after this many bytes of updates (default 1 MiB). */
  compactEveryBytes?: number;
  /** Redis only: safety TTL of a document's keys, refreshed while it is used (default 24 h). */
  redisKeyTtlSeconds?: number;
  logger?: Logger;
}

/**
 * Builds the sync layer the configuration asks for: Redis when a Redis URL is set (the cluster
 * shape), otherwise in-process memory (the embedded shape). Callers see only `SyncLayer`.
 */
export function createSyncLayer(options: SyncLayerOptions): SyncLayer {
  if (!options.redisUrl) return new MemorySyncLayer(options.nodeId);
  return new RedisSyncLayer({
    url: options.redisUrl,
    nodeId: options.nodeId,
    keyPrefix: options.redisKeyPrefix,
    compactEveryUpdates: options.compactEveryUpdates,
    compactEveryBytes: options.compactEveryBytes,
    keyTtlSeconds: options.redisKeyTtlSeconds,
    logger: options.logger,
  });
}
