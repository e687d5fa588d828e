export type { SyncLayer, SyncListener, SyncAttachment } from './syncLayer.js';
export { isEmptyUpdate } from './emptyUpdate.js';
export { MemorySyncLayer, MemorySyncHub } from './memorySyncLayer.js';
export { RedisSyncLayer, redisSyncDefaults, type RedisSyncLayerOptions } from './redisSyncLayer.js';
export { parseRedisUrl, acceptedRedisUrls, type RedisTarget } from './redisUrl.js';
export { createSyncLayer, type SyncLayerOptions } from './createSyncLayer.js';
export { openRedisConnections, type RedisConnectionsOptions } from './openRedisConnections.js';
export type { RedisConnectionEvents, RedisConnections } from './redisConnections.js';
export { readDocumentState } from './readDocumentState.js';
