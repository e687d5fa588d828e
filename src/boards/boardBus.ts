import type { BoardEvent } from '../storage/index.js';
import type { Participant } from './boardSession.js';

/**
 * How the nodes serving one board hear each other (DESIGN.md "Several nodes"): what one node
 * logged, who joined or left it, and presence. At most once and fire-and-forget, on purpose: the
 * event log in storage is the truth and carries the sequence, so a node that sees a gap (or
 * missed a message) reads the events from storage, and presence is ephemeral by nature.
 *
 * Contract (test/boards/boardBusContract.ts, every adapter): a message published for a board
 * reaches every other node subscribed to that board, in publish order per publisher; never the
 * publisher itself; never another board's subscribers; nothing after unsubscribe.
 */
export interface BoardBus {
  /** Delivers the board's messages from other nodes; resolves once messages published later will arrive. */
  subscribe(boardKey: string, listener: BoardBusListener): Promise<BoardBusSubscription>;
  publish(boardKey: string, message: BoardBusMessage): Promise<void>;
  close(): Promise<void>;
}

export type BoardBusListener = (message: BoardBusMessage) => void;

export interface BoardBusSubscription {
  unsubscribe(): Promise<void>;
}

export type BoardBusMessage =
  /** Events a node logged, contiguous and in order. */
  | { kind: 'events'; nodeId: string; events: BoardEvent[] }
  | { kind: 'participant-joined'; nodeId: string; participant: Participant }
  | { kind: 'participant-left'; nodeId: string; userId: string }
  | { kind: 'presence'; nodeId: string; userId: string; data: unknown }
  /** Never published: the bus itself says messages may have been lost (a reconnect); read the log. */
  | { kind: 'resync'; nodeId: string };
