import type { BoardEvent, EventLogStorage } from '../storage/index.js';
import { BoardState } from './boardState.js';

/** Events read per storage call while replaying. */
const replayBatch = 1000;

export interface LoadedBoard {
  /** The stored head: the last sequence the board ever gave. */
  sequence: number;
  state: BoardState;
  /** Logged events the elements table did not reflect yet (replayed into `state`; due for a flush). */
  unflushed: BoardEvent[];
}

/**
 * A board as storage holds it: the elements and tombstones as last flushed, plus the events
 * logged after that, replayed. Replay is idempotent (an event older than what an element reflects
 * changes nothing), so a flush that wrote some pages and then failed cannot make it wrong.
 */
export async function loadBoardState(storage: EventLogStorage, boardKey: string): Promise<LoadedBoard> {
  const stored = await storage.loadBoard(boardKey);
  const state = BoardState.fromStored(stored.elements, stored.tombstones);
  const unflushed: BoardEvent[] = [];
  let after = stored.flushedSequence;
  for (;;) {
    const events = await storage.getEventsSince(boardKey, after, replayBatch);
    for (const event of events) state.apply(event);
    unflushed.push(...events);
    if (events.length < replayBatch) break;
    after = events[events.length - 1].sequence;
  }
  return { sequence: Math.max(stored.sequence, unflushed.at(-1)?.sequence ?? 0), state, unflushed };
}
