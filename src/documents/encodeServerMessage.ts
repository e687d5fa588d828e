import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { authPermissionDenied, MessageType, SyncMessageType, type AwarenessEntry } from './protocol.js';

/** Server step 1: our state vector, so the client uploads what we lack (its offline edits). */
export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
  return encodeSync(SyncMessageType.step1, Y.encodeStateVector(doc));
}

/** Server step 2: everything the client's state vector says it is missing. */
export function encodeSyncStep2(doc: Y.Doc, clientStateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncMessageType.step2, Y.encodeStateAsUpdate(doc, clientStateVector));
}

/** One update, encoded once and sent as the same buffer to every receiver. */
export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncMessageType.update, update);
}

export function encodeAwarenessMessage(awarenessUpdate: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.awareness);
  encoding.writeVarUint8Array(encoder, awarenessUpdate);
  return encoding.toUint8Array(encoder);
}

/** An awareness update (the inner payload) built from tracked entries. */
export function encodeAwarenessUpdate(entries: Iterable<AwarenessEntry>): Uint8Array {
  const list = [...entries];
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, list.length);
  for (const entry of list) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, entry.state);
  }
  return encoding.toUint8Array(encoder);
}

/** y-protocols auth "permission denied": the stock client logs the reason. */
export function encodePermissionDenied(reason: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.auth);
  encoding.writeVarUint(encoder, authPermissionDenied);
  encoding.writeVarString(encoder, reason);
  return encoding.toUint8Array(encoder);
}

function encodeSync(subType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, subType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}
