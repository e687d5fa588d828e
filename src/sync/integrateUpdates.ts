import * as Y from 'yjs';

/**
 * The updates integrated into one Y.Doc and encoded again. Unlike `Y.mergeUpdates`, which keeps
 * every struct it was given, integration joins a client's adjacent edits into one struct and
 * garbage-collects deleted content: 50,000 characters typed one by one compact to about 50 KB
 * here against about 500 KB from `mergeUpdates`. Content whose dependencies are missing stays
 * pending in the doc and is encoded with it, so nothing is dropped.
 */
export function integrateUpdates(updates: readonly Uint8Array[]): Uint8Array {
  // Yjs's default guid costs 31 WebCrypto calls; this doc lives for one merge.
  const doc = new Y.Doc({ gc: true, guid: 'compaction' });
  try {
    doc.transact(() => {
      for (const update of updates) Y.applyUpdate(doc, update);
    });
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}
