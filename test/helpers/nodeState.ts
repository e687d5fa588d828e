import * as Y from 'yjs';
import { step1Frame } from './frames.js';
import { RawClient } from './rawClient.js';

/**
 * One server node's full state of a document, as that node holds it in memory: a raw socket
 * sends sync step 1 with an empty state vector and the node's step 2 reply is everything it has.
 * (A stock client cannot tell us this: it merges what it hears from the node with its own state.)
 * The connection counts as a participant for the few milliseconds it is open.
 */
export async function fetchNodeState(serverUrl: string, docName: string, token: string, timeoutMs = 5000): Promise<Uint8Array> {
  const client = RawClient.connect(serverUrl, docName, ['Bearer', token]);
  try {
    await client.opened;
    client.send(step1Frame());
    const step2 = client.waitForFrame((frame) => frame.type === 0 && frame.subType === 1, timeoutMs);
    // A close settles the race at once instead of letting the wait run into its timeout.
    const outcome = await Promise.race([step2, client.closed]);
    if ('code' in outcome) throw new Error(`${serverUrl} closed with ${outcome.code} ${outcome.reason} before its sync step 2`);
    if (outcome.payload === null) throw new Error('sync step 2 without a payload');
    return outcome.payload;
  } finally {
    client.close();
  }
}

/** Which shared types a comparison reads: a document's content is only what its types show. */
export interface DocumentShape {
  texts?: readonly string[];
  maps?: readonly string[];
}

/** Two parties hold the identical state when both fields are equal. */
export interface DocumentSnapshot {
  /** Hex of `Y.encodeStateVectorFromUpdate` over the full state. */
  stateVector: string;
  /** Canonical JSON of the shape's texts and maps (map keys sorted: peers may integrate in another order). */
  content: string;
}

/** A snapshot of a full-state update (a node's step 2 payload, or `Y.encodeStateAsUpdate`). */
export function snapshotOfUpdate(update: Uint8Array, shape: DocumentShape): DocumentSnapshot {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, update);
    return { stateVector: stateVectorHex(update), content: contentOf(doc, shape) };
  } finally {
    doc.destroy();
  }
}

/** The same snapshot of a live Y.Doc, derived the same way (through its full-state update). */
export function snapshotOfDoc(doc: Y.Doc, shape: DocumentShape): DocumentSnapshot {
  const update = Y.encodeStateAsUpdate(doc);
  return { stateVector: stateVectorHex(update), content: contentOf(doc, shape) };
}

export function stateVectorHex(update: Uint8Array): string {
  return Buffer.from(Y.encodeStateVectorFromUpdate(update)).toString('hex');
}

/** The text of one Y.Text in a full-state update. */
export function textOfState(update: Uint8Array, name: string): string {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, update);
    return doc.getText(name).toString();
  } finally {
    doc.destroy();
  }
}

export function contentOf(doc: Y.Doc, shape: DocumentShape): string {
  const texts = Object.fromEntries((shape.texts ?? []).map((name) => [name, doc.getText(name).toString()]));
  const maps = Object.fromEntries((shape.maps ?? []).map((name) => [name, sortedEntries(doc.getMap(name).toJSON())]));
  return JSON.stringify({ texts, maps });
}

function sortedEntries(record: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function sameSnapshot(a: DocumentSnapshot, b: DocumentSnapshot): boolean {
  return a.stateVector === b.stateVector && a.content === b.content;
}
