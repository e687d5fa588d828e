import * as encoding from 'lib0/encoding';
import { HocuspocusAuthType, HocuspocusMessageType, type HocuspocusScope } from './hocuspocusProtocol.js';

/** The name a frame for `name` starts with, encoded once per document on a socket. */
export function encodeNamePrefix(name: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, name);
  return encoding.toUint8Array(encoder);
}

/** A message body (type and payload) addressed to a document: the prefix, then the body. */
export function withPrefix(prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const framed = new Uint8Array(prefix.length + body.length);
  framed.set(prefix, 0);
  framed.set(body, prefix.length);
  return framed;
}

export function encodeAuthenticated(scope: HocuspocusScope): Uint8Array {
  return encodeBody(HocuspocusMessageType.auth, (encoder) => {
    encoding.writeVarUint(encoder, HocuspocusAuthType.authenticated);
    encoding.writeVarString(encoder, scope);
  });
}

/** The provider emits `authenticationFailed` with the reason and stays detached from the document. */
export function encodeHocuspocusPermissionDenied(reason: string): Uint8Array {
  return encodeBody(HocuspocusMessageType.auth, (encoder) => {
    encoding.writeVarUint(encoder, HocuspocusAuthType.permissionDenied);
    encoding.writeVarString(encoder, reason);
  });
}

/** `[8][1]`: the sender's update is stored; `[8][0]`: refused (read-only). Clears `hasUnsyncedChanges`. */
export function encodeSyncStatus(applied: boolean): Uint8Array {
  return encodeBody(HocuspocusMessageType.syncStatus, (encoder) => encoding.writeVarUint(encoder, applied ? 1 : 0));
}

export function encodeStateless(payload: string): Uint8Array {
  return encodeBody(HocuspocusMessageType.stateless, (encoder) => encoding.writeVarString(encoder, payload));
}

/**
 * The server's CLOSE: this document is ended with `reason`, the socket stays open. The provider
 * reads it as a close with code 1000 for that document alone (`MessageReceiver`, type 7).
 */
export function encodeHocuspocusClose(reason: string): Uint8Array {
  return encodeBody(HocuspocusMessageType.close, (encoder) => encoding.writeVarString(encoder, reason));
}

/** Pong is bare: one byte, no document name. */
export const pongFrame: Uint8Array = Uint8Array.of(HocuspocusMessageType.pong);

function encodeBody(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}
