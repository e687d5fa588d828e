import type { SessionStateKind } from '../lifecycle/index.js';
import type { ElementMutation } from '../storage/index.js';

/** The spec's types (collaboration-service.md): the API is the contract, names included. */
export type SessionState = SessionStateKind;

export type SessionType = 'ephemeral' | 'persistent';

export interface Participant {
  userId: string;
  displayName: string;
  color: string;
  /** When the participant joined (ms since the epoch). */
  joinedAt: number;
}

export interface BoardSession {
  boardId: string;
  participants: Map<string, Participant>;
  /** Mutations logged (durable in the event log) whose element writes wait for the next flush. */
  pendingMutations: ElementMutation[];
  currentSequence: number;
  /** When the last flush ended (ms since the epoch; the session's start before the first). */
  lastFlush: number;
  state: SessionState;
  idleSince: number | null;
  sessionType: SessionType;
}

export interface JoinResult {
  session: BoardSession;
  syncType: 'full' | 'delta';
  /** With `delta`: the mutations after the client's `lastSequence`, in order (sequence lastSequence + 1, + 2, ...). */
  missedMutations?: ElementMutation[];
}

export interface SessionStats {
  activeSessions: number;
  idleSessions: number;
  totalParticipants: number;
}
