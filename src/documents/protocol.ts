import type { CheckedUpdate } from './integrableSplit.js';

/**
 * The y-websocket wire protocol (y-protocols): each message starts with a varUint type.
 * Numbers are fixed by the protocol and shared by every y-websocket and @y/websocket version.
 */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
} as const;

export const SyncMessageType = {
  step1: 0,
  step2: 1,
  update: 2,
} as const;

/** Sub-type of an auth message: the only one y-protocols defines is "permission denied". */
export const authPermissionDenied = 0;

/** A decoded, validated client message, ready for the session. */
export type ClientMessage =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array; checked: CheckedUpdate }
  | { type: 'sync-update'; update: Uint8Array; checked: CheckedUpdate }
  | { type: 'awareness'; update: Uint8Array; entries: AwarenessEntry[] }
  | { type: 'query-awareness' }
  | { type: 'auth' }
  /** A Hocuspocus stateless message: relayed to the document's other connections, never stored. */
  | { type: 'stateless'; payload: string };

/** One client's state inside an awareness update; `state` is the JSON text (`'null'` = removed). */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: string;
}
