import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { WiresocketError } from '../errors.js';
import { MessageType, SyncMessageType, type AwarenessEntry, type ClientMessage } from './protocol.js';
import { validateUpdate } from './validateUpdate.js';

/**
 * Decodes one binary frame into validated messages, or throws a WiresocketError (4400).
 * Validation happens here, once, at the boundary: an update that leaves this function has been
 * fully decoded by Yjs, so it cannot poison the sync layer or make `applyUpdate` loop
 * (yjs#479, #498, #713). Byte arrays are views into the frame, not copies.
 *
 * Stock clients send one message per frame, but a frame holding several complete messages is
 * accepted too; any trailing partial message rejects the whole frame before anything is applied.
 */
export function decodeClientFrame(frame: Uint8Array): ClientMessage[] {
  if (frame.length === 0) throw new WiresocketError('MESSAGE_MALFORMED', 'empty frame');
  const decoder = decoding.createDecoder(plainView(frame));
  const messages: ClientMessage[] = [];
  try {
    while (decoding.hasContent(decoder)) messages.push(readMessage(decoder));
  } catch (error) {
    if (error instanceof WiresocketError) throw error;
    throw new WiresocketError('MESSAGE_MALFORMED', errorText(error));
  }
  return messages;
}

/**
 * The frame's bytes as a plain Uint8Array (a view, no copy). ws hands over Buffers, and every
 * payload read from one would be a Buffer too; Yjs's decoders then see two kinds of byte
 * arrays (Buffers from clients, Uint8Arrays from its own encoders), and V8 threw away and
 * recompiled its optimised merge code every few seconds under load.
 */
export function plainView(frame: Uint8Array): Uint8Array {
  return Buffer.isBuffer(frame) ? new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength) : frame;
}

function readMessage(decoder: decoding.Decoder): ClientMessage {
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.sync:
    case MessageType.awareness:
    case MessageType.queryAwareness:
      return readSessionMessage(type, decoder);
    case MessageType.auth:
      // Clients have nothing to say here; the payload (if any) is read so the frame stays aligned.
      if (decoding.hasContent(decoder)) decoding.readVarUint(decoder);
      if (decoding.hasContent(decoder)) decoding.readVarString(decoder);
      return { type: 'auth' };
    default:
      throw new WiresocketError('MESSAGE_UNKNOWN_TYPE', `type ${type}`);
  }
}

/**
 * A sync, awareness or query-awareness payload, whose bytes every dialect shares (the Hocuspocus
 * framing puts a document name before the same type numbers). Throws what Yjs or lib0 throw on
 * bad bytes: callers turn that into MESSAGE_MALFORMED.
 */
export function readSessionMessage(
  type: typeof MessageType.sync | typeof MessageType.awareness | typeof MessageType.queryAwareness,
  decoder: decoding.Decoder,
): ClientMessage {
  switch (type) {
    case MessageType.sync:
      return readSyncMessage(decoder);
    case MessageType.awareness: {
      const update = decoding.readVarUint8Array(decoder);
      return { type: 'awareness', update, entries: readAwarenessEntries(update) };
    }
    case MessageType.queryAwareness:
      return { type: 'query-awareness' };
  }
}

function readSyncMessage(decoder: decoding.Decoder): ClientMessage {
  const subType = decoding.readVarUint(decoder);
  const payload = decoding.readVarUint8Array(decoder);
  switch (subType) {
    case SyncMessageType.step1:
      validateStateVector(payload);
      return { type: 'sync-step1', stateVector: payload };
    case SyncMessageType.step2:
      return { type: 'sync-step2', update: payload, checked: validateUpdate(payload) };
    case SyncMessageType.update:
      return { type: 'sync-update', update: payload, checked: validateUpdate(payload) };
    default:
      throw new WiresocketError('MESSAGE_UNKNOWN_TYPE', `sync sub-type ${subType}`);
  }
}

function validateStateVector(stateVector: Uint8Array): void {
  try {
    Y.decodeStateVector(stateVector);
  } catch (error) {
    throw new WiresocketError('MESSAGE_MALFORMED', `state vector: ${errorText(error)}`);
  }
}

/** Reads the awareness entries so the session can track states without an Awareness object. */
export function readAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = decoding.readVarString(decoder);
    JSON.parse(state); // receivers JSON.parse it too: invalid JSON would throw in every client
    entries.push({ clientId, clock, state });
  }
  return entries;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
