import type { BoardElement, BoardEvent, ElementMutation, StoredElement, Tombstone } from './boardElements.js';

/**
 * Durable storage of boards (DESIGN.md "Stores"): the sequenced event log, the elements and
 * tombstones it produced (written in batches by page, behind the log), snapshots and the dedupe
 * keys of client batches. Keys are board keys (`tenantId::appId::boardId`).
 *
 * Contract (checked by test/storage/eventLogStorageContract.ts for every adapter):
 * - `appendBatch` is atomic: either every event of the batch, its dedupe key and the new head are
 *   stored, or nothing is. Sequences are gap-free per board: a batch of n events takes
 *   `expectedSequence + 1 ... expectedSequence + n`, and only when the head is `expectedSequence`.
 * - a batch whose (userId, clientBatchId) was stored before is not stored again: the outcome is
 *   `duplicate` with the first outcome's receipt, whatever its expected sequence says (a resend).
 * - `writePage` never replaces newer data with older: an element or tombstone is written only when
 *   its sequence is above what the store holds for that element.
 * - events are pruned only when a snapshot covers them, they are flushed, and they are older than
 *   the newest `retain` events; their dedupe keys go with them.
 * - the head (`sequence`) survives pruning and restarts: a board never reuses a sequence.
 */
export interface EventLogStorage {
  /** Stores one batch of events, its dedupe key and the new head, in one atomic step. */
  appendBatch(boardKey: string, batch: NewBatch): Promise<AppendOutcome>;
  /** The receipt of a batch stored before under this dedupe key, or null. */
  findBatch(boardKey: string, userId: string, clientBatchId: string): Promise<BatchReceipt | null>;
  /** Events with a sequence above `afterSequence`, ascending, at most `limit` of them. */
  getEventsSince(boardKey: string, afterSequence: number, limit: number): Promise<BoardEvent[]>;
  /** The board's head and what the elements table holds (a board never written: sequence 0, empty). */
  loadBoard(boardKey: string): Promise<StoredBoard>;
  /**
   * One page's share of a flush, in one write: elements and tombstones (each only where newer than
   * what is stored), and, when `flushedThrough` is given, the board's flushed sequence raised to it
   * (never lowered). Events up to the flushed sequence need no replay when the board is loaded.
   */
  writePage(boardKey: string, pageId: string, changes: PageChanges, flushedThrough?: number): Promise<void>;
  createSnapshot(boardKey: string, snapshot: NewSnapshot): Promise<void>;
  getLatestSnapshot(boardKey: string): Promise<BoardSnapshot | null>;
  /**
   * Deletes the events (and their dedupe keys) that the latest snapshot covers, that are flushed,
   * and that are not among the newest `retain` events of the board. Returns how many went.
   */
  pruneEvents(boardKey: string, retain: number): Promise<number>;
  /** Resolves when the store answers (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewBatch {
  userId: string;
  clientBatchId: string;
  /** The head the caller validated the mutations against. */
  expectedSequence: number;
  /** At least one; each becomes one event. */
  mutations: readonly ElementMutation[];
  createdAt: number;
}

/** What a stored batch produced: the sequence of its last event and how many events it has. */
export interface BatchReceipt {
  lastSequence: number;
  events: number;
}

export type AppendOutcome =
  | { kind: 'appended'; receipt: BatchReceipt }
  /** Stored before under the same (userId, clientBatchId): nothing stored now. */
  | { kind: 'duplicate'; receipt: BatchReceipt }
  /** The head is not `expectedSequence` (another node appended): nothing stored; `sequence` is the head now. */
  | { kind: 'conflict'; sequence: number };

export interface StoredBoard {
  /** The last sequence ever given to an event of the board (0 for a board never written). */
  sequence: number;
  /** Every event up to here is reflected in `elements` and `tombstones`. */
  flushedSequence: number;
  /** The oldest event still stored (`sequence + 1` when none is). */
  oldestRetainedSequence: number;
  elements: StoredElement[];
  tombstones: Tombstone[];
}

export interface PageChanges {
  upserts: readonly StoredElement[];
  tombstones: readonly Tombstone[];
}

export interface NewSnapshot {
  /** The board sequence the snapshot reflects. */
  sequence: number;
  pages: Record<string, BoardElement[]>;
  createdAt: number;
}

export type BoardSnapshot = NewSnapshot;
