import { MemorySyncLayer } from './memorySyncLayer.js';
import type { SyncLayer } from './syncLayer.js';

export interface SyncLayerOptions {
  nodeId: string;
}

/**
 * Builds the sync layer the configuration asks for. Only the embedded (memory) shape exists so
 * far; the Redis adapter plugs in here, selected by a Redis URL, without touching callers.
 */
export function createSyncLayer(options: SyncLayerOptions): SyncLayer {
  return new MemorySyncLayer(options.nodeId);
}
