import type { ClientMessage } from '../protocol.js';

/**
 * The Hocuspocus wire protocol (`@hocuspocus/provider` 4.x): every frame but Ping and Pong starts
 * with `varString documentName`, then `varUint type`, then the payload. Types 0-3 carry the same
 * payloads as y-protocols, so the session's messages go out with the name in front.
 */
export const HocuspocusMessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  /** Server-internal in Hocuspocus: the provider cannot handle it, so it is never sent. */
  syncReply: 4,
  stateless: 5,
  /** Server-internal in Hocuspocus, and refused from clients. */
  broadcastStateless: 6,
  close: 7,
  syncStatus: 8,
  /** Bare bytes, no document name. */
  ping: 9,
  pong: 10,
} as const;

/** Sub-types of an auth message (`@hocuspocus/common` auth.ts). */
export const HocuspocusAuthType = {
  /** Client: the token (and the provider's version). Server, bare: "send your token again". */
  token: 0,
  permissionDenied: 1,
  authenticated: 2,
} as const;

/** The scope an Authenticated message names; the provider keeps it as `authorizedScope`. */
export type HocuspocusScope = 'read-write' | 'readonly';

/** A decoded Hocuspocus frame from a client. */
export type HocuspocusClientFrame =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'auth'; name: string; token: string }
  | { kind: 'close'; name: string }
  /** A message for the document session (sync, awareness, query awareness, stateless). */
  | { kind: 'document'; name: string; message: ClientMessage };
