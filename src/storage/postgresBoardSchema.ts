import type { Migration } from '../routing/index.js';

/**
 * The board storage's schema on PostgreSQL (DESIGN.md "Stores"), in whatever schema the pool's
 * search_path names first. A migration is never edited once released. Times are integer
 * milliseconds since the epoch. JSON columns are `text`, not `jsonb`: jsonb reorders keys and
 * drops duplicates, and the log must give back exactly what was written.
 *
 * Key columns use the "C" collation: byte order, as in SQLite, so both adapters list elements in
 * the same order, and the primary key index serves that order.
 */
export const postgresBoardVersionTable = 'board_schema_version';

/**
 * appendBatch as one call (one round trip, one transaction). A single SQL statement cannot do
 * it under READ COMMITTED: all its parts read one snapshot taken before it waits for the head's
 * row lock, so a resend racing its first send would see no dedupe row and report a conflict.
 * In PL/pgSQL each statement takes a fresh snapshot, so once the head row is locked (every
 * append of the board queues there) the dedupe check and the head both read what the previous
 * holder committed: the outcome is the one of a serial execution.
 */
const appendBatchFunction = `
CREATE FUNCTION board_append_batch(
  p_board_key text, p_user_id text, p_client_batch_id text,
  p_expected bigint, p_mutations text[], p_created_at bigint
) RETURNS TABLE (outcome text, at_sequence bigint, event_count integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_head bigint;
  v_count integer := cardinality(p_mutations);
  v_receipt record;
BEGIN
  -- Only a first append creates the head; any other expectation of an unknown board conflicts.
  IF p_expected = 0 THEN
    INSERT INTO board_boards (board_key, sequence, flushed_sequence) VALUES (p_board_key, 0, 0)
    ON CONFLICT (board_key) DO NOTHING;
  END IF;
  SELECT b.sequence INTO v_head FROM board_boards b WHERE b.board_key = p_board_key FOR UPDATE;
  IF NOT FOUND THEN
    v_head := 0;
  END IF;
  SELECT d.last_sequence, d.events INTO v_receipt FROM board_batches d
  WHERE d.board_key = p_board_key AND d.user_id = p_user_id AND d.client_batch_id = p_client_batch_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'duplicate'::text, v_receipt.last_sequence, v_receipt.events;
    RETURN;
  END IF;
  IF v_head <> p_expected THEN
    RETURN QUERY SELECT 'conflict'::text, v_head, 0;
    RETURN;
  END IF;
  INSERT INTO board_events (board_key, sequence, user_id, mutation, created_at)
  SELECT p_board_key, p_expected + m.position, p_user_id, m.mutation, p_created_at
  FROM unnest(p_mutations) WITH ORDINALITY AS m(mutation, position);
  INSERT INTO board_batches (board_key, user_id, client_batch_id, last_sequence, events)
  VALUES (p_board_key, p_user_id, p_client_batch_id, p_expected + v_count, v_count);
  UPDATE board_boards SET sequence = p_expected + v_count WHERE board_key = p_board_key;
  RETURN QUERY SELECT 'appended'::text, p_expected + v_count, v_count;
END
$$`;

export const postgresBoardMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'board storage: heads, events, elements, snapshots, batches, append function',
    statements: [
      // The head outlives every event: pruning never lowers `sequence`.
      `CREATE TABLE board_boards (
        board_key text COLLATE "C" PRIMARY KEY,
        sequence bigint NOT NULL,
        flushed_sequence bigint NOT NULL
      )`,
      `CREATE TABLE board_events (
        board_key text COLLATE "C" NOT NULL,
        sequence bigint NOT NULL,
        user_id text NOT NULL,
        mutation text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (board_key, sequence)
      )`,
      // A tombstone is a row whose element is NULL, so an element and its delete compete on one key.
      `CREATE TABLE board_elements (
        board_key text COLLATE "C" NOT NULL,
        page_id text COLLATE "C" NOT NULL,
        element_id text COLLATE "C" NOT NULL,
        element text,
        updated_sequence bigint NOT NULL,
        PRIMARY KEY (board_key, page_id, element_id)
      )`,
      `CREATE TABLE board_snapshots (
        board_key text COLLATE "C" NOT NULL,
        sequence bigint NOT NULL,
        pages text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (board_key, sequence)
      )`,
      `CREATE TABLE board_batches (
        board_key text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        client_batch_id text COLLATE "C" NOT NULL,
        last_sequence bigint NOT NULL,
        events integer NOT NULL,
        PRIMARY KEY (board_key, user_id, client_batch_id)
      )`,
      // Pruning deletes a board's batches up to a sequence.
      `CREATE INDEX board_batches_sequence ON board_batches (board_key, last_sequence)`,
      appendBatchFunction,
    ],
  },
];
