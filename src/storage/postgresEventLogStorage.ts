import type pg from 'pg';
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
import { createPostgresPool, intColumn, textColumn, type PostgresPoolOptions, type PostgresRow } from '../routing/index.js';
import { pageRows } from './pageRows.js';
import { applyPostgresMigrations } from './postgresMigrations.js';
import { checkBatch, checkFlushedThrough, checkLimit, checkRetain, checkSnapshot, snapshotAheadError } from './storageArguments.js';
import { parseElement, parseMutation, parsePages } from './storedJson.js';

/** `url` (`postgres://` or `postgresql://`), optional `schema` and pool size. */
export type PostgresEventLogStorageOptions = PostgresPoolOptions;

// SQL is shared by every call; values always travel as parameters. The hot statements are
// named, so each pooled connection parses and plans them once.

const appendBatch = {
  name: 'board_append_batch',
  text: 'SELECT outcome, at_sequence, event_count FROM board_append_batch($1, $2, $3, $4, $5::text[], $6)',
};
const selectBatch = {
  name: 'board_select_batch',
  text: 'SELECT last_sequence, events FROM board_batches WHERE board_key = $1 AND user_id = $2 AND client_batch_id = $3',
};
const selectEventsSince = {
  name: 'board_events_since',
  text: `SELECT sequence, user_id, mutation, created_at FROM board_events
         WHERE board_key = $1 AND sequence > $2 ORDER BY sequence LIMIT $3`,
};
/**
 * The head and every element in one statement, so one snapshot: the head's columns ride on each
 * element row, and the board row alone comes back (element columns NULL) when it has none.
 */
const selectBoard = {
  name: 'board_load',
  text: `SELECT k.oldest, h.sequence, h.flushed_sequence, e.page_id, e.element_id, e.element, e.updated_sequence
         FROM (SELECT $1::text AS board_key,
                      (SELECT min(sequence) FROM board_events WHERE board_key = $1) AS oldest) k
         LEFT JOIN board_boards h ON h.board_key = k.board_key
         LEFT JOIN board_elements e ON e.board_key = k.board_key
         ORDER BY e.page_id, e.element_id`,
};
/**
 * A page's rows (one per element, tombstones with a NULL element), each replacing the stored one
 * only when newer, and the flushed sequence raised (never lowered, never above the head) when
 * $6 is given: one statement, one transaction.
 */
const writePage = {
  name: 'board_write_page',
  text: `WITH written AS (
           INSERT INTO board_elements (board_key, page_id, element_id, element, updated_sequence)
           SELECT $1, $2, r.element_id, r.element, r.updated_sequence
           FROM unnest($3::text[], $4::text[], $5::bigint[]) AS r(element_id, element, updated_sequence)
           ON CONFLICT (board_key, page_id, element_id) DO UPDATE SET
             element = EXCLUDED.element, updated_sequence = EXCLUDED.updated_sequence
           WHERE EXCLUDED.updated_sequence > board_elements.updated_sequence)
         UPDATE board_boards SET flushed_sequence = GREATEST(flushed_sequence, LEAST($6::bigint, sequence))
         WHERE board_key = $1 AND $6::bigint IS NOT NULL`,
};
/** A snapshot of events the board has ($2 at most its head); the same sequence again replaces it. */
const insertSnapshot = `
  INSERT INTO board_snapshots (board_key, sequence, pages, created_at)
  SELECT $1::text, $2::bigint, $3::text, $4::bigint
  WHERE $2::bigint <= COALESCE((SELECT sequence FROM board_boards WHERE board_key = $1), 0)
  ON CONFLICT (board_key, sequence) DO UPDATE SET pages = EXCLUDED.pages, created_at = EXCLUDED.created_at`;
const selectLatestSnapshot = `
  SELECT sequence, pages, created_at FROM board_snapshots WHERE board_key = $1 ORDER BY sequence DESC LIMIT 1`;
/**
 * The last prunable sequence: covered by the latest snapshot (none: 0; LEAST would skip a NULL),
 * flushed, and below the newest $2. Stored events are always the range oldest..head, so "the
 * newest retain events" are the sequences above head - retain. A batch's dedupe key goes once
 * its last event has gone. The statement's count is the events deleted.
 */
const pruneEvents = `
  WITH through AS (
    SELECT LEAST(b.flushed_sequence, b.sequence - $2::bigint,
                 COALESCE((SELECT max(s.sequence) FROM board_snapshots s WHERE s.board_key = $1), 0)) AS sequence
    FROM board_boards b WHERE b.board_key = $1),
  pruned_batches AS (
    DELETE FROM board_batches d USING through t WHERE d.board_key = $1 AND d.last_sequence <= t.sequence)
  DELETE FROM board_events e USING through t WHERE e.board_key = $1 AND e.sequence <= t.sequence`;

/**
 * EventLogStorage on PostgreSQL, for clusters: every node shares one database through its own
 * pool. Every method is one statement, so one round trip and one transaction; appendBatch is a
 * call of the `board_append_batch` function (see postgresBoardSchema.ts for why).
 */
export class PostgresEventLogStorage implements EventLogStorage {
  private closing: Promise<void> | null = null;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(options: PostgresEventLogStorageOptions): Promise<PostgresEventLogStorage> {
    const pool = createPostgresPool(options);
    try {
      await applyPostgresMigrations(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresEventLogStorage(pool);
  }

  async appendBatch(boardKey: string, batch: NewBatch): Promise<AppendOutcome> {
    checkBatch(batch);
    const { userId, clientBatchId, expectedSequence, mutations, createdAt } = batch;
    const texts = mutations.map((mutation) => JSON.stringify(mutation));
    const values = [boardKey, userId, clientBatchId, expectedSequence, texts, createdAt];
    const result = await this.pool.query<PostgresRow>({ ...appendBatch, values });
    return appendOutcome(result.rows[0]);
  }

  async findBatch(boardKey: string, userId: string, clientBatchId: string): Promise<BatchReceipt | null> {
    const result = await this.pool.query<PostgresRow>({ ...selectBatch, values: [boardKey, userId, clientBatchId] });
    const row = result.rows[0];
    return row === undefined ? null : { lastSequence: intColumn(row, 'last_sequence'), events: intColumn(row, 'events') };
  }

  async getEventsSince(boardKey: string, afterSequence: number, limit: number): Promise<BoardEvent[]> {
    checkLimit(afterSequence, limit);
    const result = await this.pool.query<PostgresRow>({ ...selectEventsSince, values: [boardKey, afterSequence, limit] });
    return result.rows.map(eventOf);
  }

  async loadBoard(boardKey: string): Promise<StoredBoard> {
    const result = await this.pool.query<PostgresRow>({ ...selectBoard, values: [boardKey] });
    return storedBoard(result.rows);
  }

  async writePage(boardKey: string, pageId: string, changes: PageChanges, flushedThrough?: number): Promise<void> {
    checkFlushedThrough(flushedThrough);
    const rows = pageRows(pageId, changes);
    if (rows.length === 0 && flushedThrough === undefined) return;
    const values = [
      boardKey,
      pageId,
      rows.map((row) => row.elementId),
      rows.map((row) => row.element),
      rows.map((row) => row.sequence),
      flushedThrough ?? null,
    ];
    await this.pool.query({ ...writePage, values });
  }

  async createSnapshot(boardKey: string, snapshot: NewSnapshot): Promise<void> {
    checkSnapshot(snapshot);
    const values = [boardKey, snapshot.sequence, JSON.stringify(snapshot.pages), snapshot.createdAt];
    const result = await this.pool.query(insertSnapshot, values);
    if (result.rowCount === 0) throw snapshotAheadError(boardKey, snapshot.sequence);
  }

  async getLatestSnapshot(boardKey: string): Promise<BoardSnapshot | null> {
    const result = await this.pool.query<PostgresRow>(selectLatestSnapshot, [boardKey]);
    const row = result.rows[0];
    if (row === undefined) return null;
    return { sequence: intColumn(row, 'sequence'), pages: parsePages(textColumn(row, 'pages')), createdAt: intColumn(row, 'created_at') };
  }

  async pruneEvents(boardKey: string, retain: number): Promise<number> {
    checkRetain(retain);
    const result = await this.pool.query(pruneEvents, [boardKey, retain]);
    return result.rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Idempotent: `pool.end()` may be called only once. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

function appendOutcome(row: PostgresRow): AppendOutcome {
  const sequence = intColumn(row, 'at_sequence');
  switch (row.outcome) {
    case 'conflict':
      return { kind: 'conflict', sequence };
    case 'appended':
    case 'duplicate':
      return { kind: row.outcome, receipt: { lastSequence: sequence, events: intColumn(row, 'event_count') } };
    default:
      throw new Error(`board_append_batch answered ${JSON.stringify(row.outcome)}`);
  }
}

function eventOf(row: PostgresRow): BoardEvent {
  return {
    sequence: intColumn(row, 'sequence'),
    userId: textColumn(row, 'user_id'),
    mutation: parseMutation(textColumn(row, 'mutation')),
    createdAt: intColumn(row, 'created_at'),
  };
}

function storedBoard(rows: PostgresRow[]): StoredBoard {
  const head = rows[0];
  const sequence = head.sequence === null ? 0 : intColumn(head, 'sequence');
  const elements: StoredElement[] = [];
  const tombstones: Tombstone[] = [];
  for (const row of rows) {
    if (row.element_id === null) continue;
    const pageId = textColumn(row, 'page_id');
    const updatedSequence = intColumn(row, 'updated_sequence');
    if (row.element === null) tombstones.push({ pageId, elementId: textColumn(row, 'element_id'), deletedSequence: updatedSequence });
    else elements.push({ pageId, element: parseElement(textColumn(row, 'element')), updatedSequence });
  }
  return {
    sequence,
    flushedSequence: head.flushed_sequence === null ? 0 : intColumn(head, 'flushed_sequence'),
    oldestRetainedSequence: head.oldest === null ? sequence + 1 : intColumn(head, 'oldest'),
    elements,
    tombstones,
  };
}
