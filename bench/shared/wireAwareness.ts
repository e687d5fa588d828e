import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { YjsWireClient } from './yjsWireClient.js';

/** y-protocols message types (fixed by the protocol). */
const messageAwareness = 1;
const messageQueryAwareness = 3;

/** One awareness state (y-protocols awareness update of one entry) in its message frame. */
export function sendAwareness(client: YjsWireClient, clientId: number, clock: number, state: unknown): void {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, 1);
  encoding.writeVarUint(update, clientId);
  encoding.writeVarUint(update, clock);
  encoding.writeVarString(update, JSON.stringify(state));
  const frame = encoding.createEncoder();
  encoding.writeVarUint(frame, messageAwareness);
  encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
  client.sendFrame(encoding.toUint8Array(frame));
}

/** Asks the server for every current awareness state of the document (it answers with one update). */
export function queryAwareness(client: YjsWireClient): void {
  client.sendFrame(new Uint8Array([messageQueryAwareness]));
}

/** Calls `listener` with the entry count of every awareness frame the server sends from now on. */
export function onAwareness(client: YjsWireClient, listener: (entries: number) => void): void {
  client.onFrame((data) => {
    // The type is a varUint; awareness (1) is its only one-byte encoding, so no decode for the rest.
    if (data.length === 0 || data[0] !== messageAwareness) return;
    const decoder = decoding.createDecoder(data);
    decoding.readVarUint(decoder);
    listener(decoding.readVarUint(decoding.createDecoder(decoding.readVarUint8Array(decoder))));
  });
}
