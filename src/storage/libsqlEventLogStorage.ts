import { randomUUID } from 'node:crypto';
import type { Client, InStatement, ResultSet, Row } from '@libsql/client';
import { rowNumber, rowString } from '../routing/index.js';
import type { BoardEvent, StoredElement, Tombstone } from './boardElements.js';
import type {
  AppendOutcome,
  BatchReceipt,
  BoardSnapshot,
  EventLogStorage,
  NewBatch,
  NewSnapshot,
  PageChanges,
  StoredBoard,
} from './eventLogStorage.js';
import { openLibsqlBoardDatabase, type LibsqlBoardDatabaseOptions } from './openLibsqlBoardDatabase.js';
import { pageRows } from './pageRows.js';
import { checkBatch, checkFlushedThrough, checkLimit, checkRetain, checkSnapshot, snapshotAheadError } from './storageArguments.js';
import { parseElement, parseMutation, parsePages } from './storedJson.js';

// SQL is shared by every call; values always travel as parameters. Every statement gets exactly
// the parameters it names (?1 ... ?n), which remote servers check.

const ensureBoard = `
  INSERT INTO board_boards (board_key, sequence, flushed_sequence) VALUES (?1, 0, 0)
  ON CONFLICT (board_key) DO NOTHING`;
/**
 * The gate of an append (?1 board, ?2 user, ?3 client batch id, ?4 attempt, ?5 expected, ?6 events):
 * the batch row goes in only while the head is the expected one and the key is new. The SELECT
 * carries a WHERE, which SQLite needs to parse ON CONFLICT after INSERT ... SELECT.
 */
const claimBatch = `
  INSERT INTO board_batches (board_key, user_id, client_batch_id, last_sequence, events, attempt)
  SELECT ?1, ?2, ?3, ?5 + ?6, ?6, ?4
  WHERE (SELECT sequence FROM board_boards WHERE board_key = ?1) = ?5
  ON CONFLICT (board_key, user_id, client_batch_id) DO NOTHING`;
/** True only when this attempt's own token is in the batch row: the gate let this append in. */
const claimWon = `EXISTS (
  SELECT 1 FROM board_batches WHERE board_key = ?1 AND user_id = ?2 AND client_batch_id = ?3 AND attempt = ?4)`;
/** ?1-?4 the claim, ?5 expected, ?6 created_at, ?7 a JSON array of the mutations' JSON texts. */
const insertClaimedEvents = `
  INSERT INTO board_events (board_key, sequence, user_id, mutation, created_at)
  SELECT ?1, ?5 + j.key + 1, ?2, j.value, ?6 FROM json_each(?7) AS j
  WHERE ${claimWon}`;
/** ?1-?4 the claim, ?5 the new head. */
const raiseClaimedHead = `UPDATE board_boards SET sequence = ?5 WHERE board_key = ?1 AND ${claimWon}`;
/** One row whatever happened: the head, and the batch row if any (ours, or the first send's). */
const selectAppendOutcome = `
  SELECT (SELECT sequence FROM board_boards WHERE board_key = ?1) AS head, b.last_sequence, b.events, b.attempt
  FROM (SELECT 1) LEFT JOIN board_batches b ON b.board_key = ?1 AND b.user_id = ?2 AND b.client_batch_id = ?3`;

const selectBatch = `
  SELECT last_sequence, events FROM board_batches WHERE board_key = ?1 AND user_id = ?2 AND client_batch_id = ?3`;
const selectEventsSince = `
  SELECT sequence, user_id, mutation, created_at FROM board_events
  WHERE board_key = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3`;
const selectHead = `
  SELECT sequence, flushed_sequence, (SELECT MIN(sequence) FROM board_events WHERE board_key = ?1) AS oldest
  FROM board_boards WHERE board_key = ?1`;
const selectElements = `
  SELECT page_id, element_id, element, updated_sequence FROM board_elements
  WHERE board_key = ?1 ORDER BY page_id, element_id`;

/**
 * ?1 board, ?2 page, ?3 a JSON array of [elementId, element JSON text or null, sequence]: each row
 * replaces the stored one only when its sequence is higher (a tombstone is a NULL element).
 */
const upsertNewerRows = `
  INSERT INTO board_elements (board_key, page_id, element_id, element, updated_sequence)
  SELECT ?1, ?2, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')
  FROM json_each(?3) AS j WHERE true
  ON CONFLICT (board_key, page_id, element_id) DO UPDATE SET
    element = excluded.element, updated_sequence = excluded.updated_sequence
  WHERE excluded.updated_sequence > board_elements.updated_sequence`;
/** Raised, never lowered, and never above the head: events that do not exist are not flushed. */
const raiseFlushed = `
  UPDATE board_boards SET flushed_sequence = MAX(flushed_sequence, MIN(?2, sequence)) WHERE board_key = ?1`;

/** A snapshot of events the board has (?2 at most its head); the same sequence again replaces it. */
const insertSnapshot = `
  INSERT INTO board_snapshots (board_key, sequence, pages, created_at)
  SELECT ?1, ?2, ?3, ?4 WHERE ?2 <= COALESCE((SELECT sequence FROM board_boards WHERE board_key = ?1), 0)
  ON CONFLICT (board_key, sequence) DO UPDATE SET pages = excluded.pages, created_at = excluded.created_at`;
const selectLatestSnapshot = `
  SELECT sequence, pages, created_at FROM board_snapshots WHERE board_key = ?1 ORDER BY sequence DESC LIMIT 1`;

/**
 * The last prunable sequence (?1 board, ?2 retain): covered by the latest snapshot (none: 0),
 * flushed, and below the newest `retain`. Stored events are always the range oldest..head, so
 * "the newest retain events" are the sequences above head - retain.
 */
const pruneThrough = `(
  SELECT MIN(b.flushed_sequence, b.sequence - ?2,
             COALESCE((SELECT MAX(s.sequence) FROM board_snapshots s WHERE s.board_key = ?1), 0))
  FROM board_boards b WHERE b.board_key = ?1)`;
const deletePrunedEvents = `DELETE FROM board_events WHERE board_key = ?1 AND sequence <= ${pruneThrough}`;
/** A batch's dedupe key goes once its last event has gone. */
const deletePrunedBatches = `DELETE FROM board_batches WHERE board_key = ?1 AND last_sequence <= ${pruneThrough}`;

/**
 * EventLogStorage on libSQL: the embedded file (usually the control store's), or a remote
 * libSQL/Turso database shared by every node. Each method is one round trip: one execute, or one
 * `batch` (a single transaction). No `client.transaction()`: held across awaits it blocks the
 * event loop on SQLite's write lock with the file driver (see src/routing/libsqlDatabase.ts).
 */
export class LibsqlEventLogStorage implements EventLogStorage {
  private constructor(private readonly client: Client) {}

  static async open(options: LibsqlBoardDatabaseOptions): Promise<LibsqlEventLogStorage> {
    return new LibsqlEventLogStorage(await openLibsqlBoardDatabase(options));
  }

  /**
   * One write batch (one IMMEDIATE transaction, so no other writer runs in between). Only an
   * attempt whose token the gate stored writes events and moves the head; the last statement
   * tells appended (our token), duplicate (another token) and conflict (no row) apart.
   */
  async appendBatch(boardKey: string, batch: NewBatch): Promise<AppendOutcome> {
    checkBatch(batch);
    const { userId, clientBatchId, expectedSequence, mutations, createdAt } = batch;
    const claim = [boardKey, userId, clientBatchId, randomUUID()];
    const texts = JSON.stringify(mutations.map((mutation) => JSON.stringify(mutation)));
    const results = await this.client.batch(
      [
        { sql: ensureBoard, args: [boardKey] },
        { sql: claimBatch, args: [...claim, expectedSequence, mutations.length] },
        { sql: insertClaimedEvents, args: [...claim, expectedSequence, createdAt, texts] },
        { sql: raiseClaimedHead, args: [...claim, expectedSequence + mutations.length] },
        { sql: selectAppendOutcome, args: claim.slice(0, 3) },
      ],
      'write',
    );
    return appendOutcome(results[results.length - 1], claim[3]);
  }

  async findBatch(boardKey: string, userId: string, clientBatchId: string): Promise<BatchReceipt | null> {
    const result = await this.client.execute({ sql: selectBatch, args: [boardKey, userId, clientBatchId] });
    const row = result.rows[0];
    return row === undefined ? null : receiptOf(row);
  }

  async getEventsSince(boardKey: string, afterSequence: number, limit: number): Promise<BoardEvent[]> {
    checkLimit(afterSequence, limit);
    const result = await this.client.execute({ sql: selectEventsSince, args: [boardKey, afterSequence, limit] });
    return result.rows.map(eventOf);
  }

  /** One read batch: the head and the elements come from the same transaction. */
  async loadBoard(boardKey: string): Promise<StoredBoard> {
    const [head, elements] = await this.client.batch(
      [
        { sql: selectHead, args: [boardKey] },
        { sql: selectElements, args: [boardKey] },
      ],
      'read',
    );
    return storedBoard(head, elements);
  }

  async writePage(boardKey: string, pageId: string, changes: PageChanges, flushedThrough?: number): Promise<void> {
    checkFlushedThrough(flushedThrough);
    const rows = pageRows(pageId, changes).map((row) => [row.elementId, row.element, row.sequence]);
    const statements: InStatement[] = [];
    if (rows.length > 0) statements.push({ sql: upsertNewerRows, args: [boardKey, pageId, JSON.stringify(rows)] });
    if (flushedThrough !== undefined) statements.push({ sql: raiseFlushed, args: [boardKey, flushedThrough] });
    if (statements.length > 0) await this.client.batch(statements, 'write');
  }

  async createSnapshot(boardKey: string, snapshot: NewSnapshot): Promise<void> {
    checkSnapshot(snapshot);
    const args = [boardKey, snapshot.sequence, JSON.stringify(snapshot.pages), snapshot.createdAt];
    const result = await this.client.execute({ sql: insertSnapshot, args });
    if (result.rowsAffected === 0) throw snapshotAheadError(boardKey, snapshot.sequence);
  }

  async getLatestSnapshot(boardKey: string): Promise<BoardSnapshot | null> {
    const result = await this.client.execute({ sql: selectLatestSnapshot, args: [boardKey] });
    const row = result.rows[0];
    if (row === undefined) return null;
    return { sequence: rowNumber(row, 'sequence'), pages: parsePages(rowString(row, 'pages')), createdAt: rowNumber(row, 'created_at') };
  }

  async pruneEvents(boardKey: string, retain: number): Promise<number> {
    checkRetain(retain);
    const args = [boardKey, retain];
    const [events] = await this.client.batch(
      [
        { sql: deletePrunedEvents, args },
        { sql: deletePrunedBatches, args },
      ],
      'write',
    );
    return events.rowsAffected;
  }

  async ping(): Promise<void> {
    await this.client.execute('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.client.closed) this.client.close();
  }
}

function appendOutcome(result: ResultSet, attempt: string): AppendOutcome {
  const row = result.rows[0];
  if (row.attempt === null) return { kind: 'conflict', sequence: rowNumber(row, 'head') };
  return { kind: rowString(row, 'attempt') === attempt ? 'appended' : 'duplicate', receipt: receiptOf(row) };
}

function receiptOf(row: Row): BatchReceipt {
  return { lastSequence: rowNumber(row, 'last_sequence'), events: rowNumber(row, 'events') };
}

function eventOf(row: Row): BoardEvent {
  return {
    sequence: rowNumber(row, 'sequence'),
    userId: rowString(row, 'user_id'),
    mutation: parseMutation(rowString(row, 'mutation')),
    createdAt: rowNumber(row, 'created_at'),
  };
}

function storedBoard(head: ResultSet, rows: ResultSet): StoredBoard {
  const board = head.rows[0];
  const sequence = board === undefined ? 0 : rowNumber(board, 'sequence');
  const oldest = board?.oldest ?? null;
  const elements: StoredElement[] = [];
  const tombstones: Tombstone[] = [];
  for (const row of rows.rows) {
    const pageId = rowString(row, 'page_id');
    const updatedSequence = rowNumber(row, 'updated_sequence');
    if (row.element === null) tombstones.push({ pageId, elementId: rowString(row, 'element_id'), deletedSequence: updatedSequence });
    else elements.push({ pageId, element: parseElement(rowString(row, 'element')), updatedSequence });
  }
  return {
    sequence,
    flushedSequence: board === undefined ? 0 : rowNumber(board, 'flushed_sequence'),
    oldestRetainedSequence: oldest === null ? sequence + 1 : rowNumber(board, 'oldest'),
    elements,
    tombstones,
  };
}
