import * as Y from 'yjs';
import { encodeSyncStep2 } from './encodeServerMessage.js';
import { SharedMessage } from './sharedMessage.js';

/** The state vector a client with an empty document sends (y-protocols: zero clients). */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === 1 && stateVector[0] === 0;
}

/**
 * The sync step 2 that a client with an empty document gets (every fresh tab asks for exactly
 * this), encoded once and reused until the document changes: a join then costs one frame write
 * instead of encoding the whole state (~70 ms for 5 MiB), and a crowd opening the same
 * document pays for one encoding. Held through a WeakRef, so under memory pressure a large
 * cached state is reclaimed rather than doubling what every quiet document keeps.
 */
export class FullStateCache {
  private cached: WeakRef<SharedMessage> | null = null;

  constructor(private readonly doc: Y.Doc) {
    // Any transaction may have changed the state; a no-op one costs only a re-encode later.
    doc.on('afterTransaction', () => {
      this.cached = null;
    });
  }

  /** The step 2 for `clientStateVector`: shared and cached for an empty one, fresh otherwise. */
  stepTwoFor(clientStateVector: Uint8Array): SharedMessage {
    if (!isEmptyStateVector(clientStateVector)) return SharedMessage.of(encodeSyncStep2(this.doc, clientStateVector));
    const hit = this.cached?.deref();
    if (hit) return hit;
    const message = SharedMessage.of(encodeSyncStep2(this.doc, clientStateVector));
    this.cached = new WeakRef(message);
    return message;
  }
}
