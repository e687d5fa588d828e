import type { SyncLayer, SyncListener } from './syncLayer.js';

/** A listener that follows nothing: the attach is only for its state. */
const idleListener: SyncListener = { onRemoteUpdate: () => undefined, onRemoteAwareness: () => undefined, onResyncNeeded: () => undefined };

/** The document's whole state as the layer holds it, for a node that serves no session of it. */
export async function readDocumentState(layer: SyncLayer, docKey: string): Promise<Uint8Array> {
  const attachment = await layer.attach(docKey, idleListener);
  await attachment.detach();
  return attachment.state;
}
