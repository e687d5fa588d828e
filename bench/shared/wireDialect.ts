import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** y-protocols message types (fixed by the protocol; src/documents/protocol.ts has the same). */
export const messageSync = 0;
export const messageAuth = 2;

/** What an auth message from the server means for the load generator. */
export type AuthOutcome = { kind: 'denied'; reason: string } | { kind: 'ignore' };

/**
 * How one server family frames y-protocols messages on the socket. The load generator speaks
 * each server's own dialect with raw frames, so no provider library sits on the measured path.
 */
export interface WireDialect {
  readonly name: 'y-websocket' | 'hocuspocus';
  /** The socket URL for a document. */
  url(serverUrl: string, docName: string): string;
  /** Subprotocols offered on the upgrade (none: the server selects none). */
  protocols(token: string | null): string[];
  /** The bytes every frame of this document starts with (empty for y-websocket). */
  prefix(docName: string): Uint8Array;
  /** Frames sent right after open, before sync step 1 (Hocuspocus: the auth message). */
  opening(prefix: Uint8Array, token: string | null): Uint8Array[];
  /** Reads an auth message after its type byte. */
  readAuth(decoder: decoding.Decoder): AuthOutcome;
  /** A message type that means the server ended this document's connection, or -1. */
  readonly closeType: number;
}

/**
 * The stock y-websocket protocol: document in the URL path, a token (when given) as the
 * `Bearer` subprotocol, auth messages of y-protocols/auth (0 = permission denied + reason).
 */
export const yWebsocketDialect: WireDialect = {
  name: 'y-websocket',
  url: (serverUrl, docName) => `${serverUrl}/${encodeURIComponent(docName)}`,
  protocols: (token) => (token === null ? [] : ['Bearer', token]),
  prefix: () => new Uint8Array(0),
  opening: () => [],
  readAuth(decoder) {
    return decoding.readVarUint(decoder) === 0 ? { kind: 'denied', reason: decoding.readVarString(decoder) } : { kind: 'ignore' };
  },
  closeType: -1,
};

/** @hocuspocus/common AuthMessageType and @hocuspocus/server MessageType values. */
const hocuspocusAuthToken = 0;
const hocuspocusAuthDenied = 1;
const hocuspocusClose = 7;

/**
 * Hocuspocus (read from @hocuspocus/server 4.x, ClientConnection.ts and OutgoingMessage.ts):
 * every frame starts with the document name (varString), the first frame of a document must
 * be an auth message (type 2, subtype 0 = token, then the token string), the server selects
 * no subprotocol and ignores the URL path. It answers with Authenticated (2/2), sends
 * SyncStatus (8) after every update it applies, and Close (7) when it drops the document.
 */
export const hocuspocusDialect: WireDialect = {
  name: 'hocuspocus',
  url: (serverUrl) => serverUrl,
  protocols: () => [],
  prefix(docName) {
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, docName);
    return encoding.toUint8Array(encoder);
  },
  opening(prefix, token) {
    const encoder = encoding.createEncoder();
    encoding.writeUint8Array(encoder, prefix);
    encoding.writeVarUint(encoder, messageAuth);
    encoding.writeVarUint(encoder, hocuspocusAuthToken);
    encoding.writeVarString(encoder, token ?? '');
    return [encoding.toUint8Array(encoder)];
  },
  readAuth(decoder) {
    return decoding.readVarUint(decoder) === hocuspocusAuthDenied ? { kind: 'denied', reason: decoding.readVarString(decoder) } : { kind: 'ignore' };
  },
  closeType: hocuspocusClose,
};
