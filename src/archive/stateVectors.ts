import * as Y from 'yjs';

/**
 * Whether a document with state vector `held` has every struct of `update`. Deletions do not
 * move a state vector, so this says nothing of them; that is enough here because an archived
 * state is a past state of the same document, whose deletions came with clocks it also holds.
 */
export function dominates(held: Uint8Array, update: Uint8Array): boolean {
  const have = Y.decodeStateVector(held);
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update))) {
    if ((have.get(client) ?? 0) < clock) return false;
  }
  return true;
}
