import type { Migration } from '../routing/index.js';

/**
 * The board storage's schema on libSQL (DESIGN.md "Stores"). It usually shares the file with the
 * control store, so it keeps its own migration track in `board_schema_version` and prefixes its
 * tables with `board_`. A migration is never edited once released. Times are integer
 * milliseconds since the epoch; JSON columns hold the exact text `JSON.stringify` produced.
 */
export const libsqlBoardVersionTable = 'board_schema_version';

export const libsqlBoardMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'board storage: heads, events, elements, snapshots, batches',
    statements: [
      // The head outlives every event: pruning never lowers `sequence`.
      `CREATE TABLE board_boards (
        board_key TEXT PRIMARY KEY,
        sequence INTEGER NOT NULL,
        flushed_sequence INTEGER NOT NULL
      )`,
      `CREATE TABLE board_events (
        board_key TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        mutation TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (board_key, sequence)
      )`,
      // A tombstone is a row whose element is NULL, so an element and its delete compete on one key.
      `CREATE TABLE board_elements (
        board_key TEXT NOT NULL,
        page_id TEXT NOT NULL,
        element_id TEXT NOT NULL,
        element TEXT,
        updated_sequence INTEGER NOT NULL,
        PRIMARY KEY (board_key, page_id, element_id)
      )`,
      `CREATE TABLE board_snapshots (
        board_key TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        pages TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (board_key, sequence)
      )`,
      // `attempt` is the random token of the append that stored the row: how it knows it won.
      `CREATE TABLE board_batches (
        board_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        client_batch_id TEXT NOT NULL,
        last_sequence INTEGER NOT NULL,
        events INTEGER NOT NULL,
        attempt TEXT NOT NULL,
        PRIMARY KEY (board_key, user_id, client_batch_id)
      )`,
      // Pruning deletes a board's batches up to a sequence.
      `CREATE INDEX board_batches_sequence ON board_batches (board_key, last_sequence)`,
    ],
  },
];
