import type { Participant } from '../boards/boardSession.js';
import type { BoardClientError } from './boardClientError.js';
import type { ChangeOrigin } from './boardSync.js';

/** `connected`: the socket is open (joined or joining); `disconnected`: waiting to reconnect; `stopped`: closed or given up. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** What a BoardClient tells its listeners, by event name. */
export interface BoardClientEvents {
  /** The visible state changed (`state()` has the new one). */
  change: { origin: ChangeOrigin };
  /** Joined and caught up: the confirmed board is the server's as of `sequence`. */
  synced: { syncType: 'full' | 'delta'; sequence: number };
  status: ConnectionStatus;
  participants: readonly Participant[];
  /** Another participant's presence (cursor, selection). */
  presence: { userId: string; data: unknown };
  error: BoardClientError;
}
