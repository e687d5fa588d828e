export type { SyncLayer, SyncListener, SyncAttachment } from './syncLayer.js';
export { MemorySyncLayer, MemorySyncHub } from './memorySyncLayer.js';
export { createSyncLayer, type SyncLayerOptions } from './createSyncLayer.js';
