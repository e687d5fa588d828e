import type pg from 'pg';
import { applyPostgresMigrationTrack, createPostgresPool, type Migration, type PostgresMigrationTrack } from '../routing/index.js';
import type { DocumentArchive } from './documentArchive.js';

/** The archive's own migration track, beside the control store's and the board storage's. */
export const postgresArchiveTrack: PostgresMigrationTrack = {
  label: 'archive schema',
  versionTable: 'archive_schema_versions',
  migrations: [
    {
      version: 1,
      name: 'document_archive',
      statements: [
        `CREATE TABLE IF NOT EXISTS document_archive (
  doc_key text PRIMARY KEY,
  state bytea NOT NULL,
  archived_at bigint NOT NULL
)`,
      ],
    },
  ] satisfies Migration[],
};

const selectState = { name: 'archive_select', text: 'SELECT state FROM document_archive WHERE doc_key = $1' };
const upsertState = {
  name: 'archive_upsert',
  text: `INSERT INTO document_archive (doc_key, state, archived_at) VALUES ($1, $2, $3)
         ON CONFLICT (doc_key) DO UPDATE SET state = excluded.state, archived_at = excluded.archived_at`,
};
const deleteState = { name: 'archive_delete', text: 'DELETE FROM document_archive WHERE doc_key = $1' };

export interface PostgresArchiveOptions {
  url: string;
  /** Tables in this schema (it must exist); by default the URL's search_path. */
  schema?: string;
}

/** The archive in a PostgreSQL table of its own (`document_archive`), migrated at open. */
export class PostgresDocumentArchive implements DocumentArchive {
  readonly kind = 'postgres';

  private constructor(private readonly pool: pg.Pool) {}

  static async open(options: PostgresArchiveOptions): Promise<PostgresDocumentArchive> {
    const pool = createPostgresPool({ url: options.url, schema: options.schema, maxConnections: 4 });
    try {
      await applyPostgresMigrationTrack(pool, postgresArchiveTrack);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return new PostgresDocumentArchive(pool);
  }

  async get(docKey: string): Promise<Uint8Array | null> {
    const result = await this.pool.query<{ state: Buffer }>({ ...selectState, values: [docKey] });
    const row = result.rows[0];
    return row === undefined ? null : new Uint8Array(row.state);
  }

  async put(docKey: string, state: Uint8Array): Promise<void> {
    await this.pool.query({ ...upsertState, values: [docKey, Buffer.from(state.buffer, state.byteOffset, state.byteLength), Date.now()] });
  }

  async delete(docKey: string): Promise<boolean> {
    const result = await this.pool.query({ ...deleteState, values: [docKey] });
    return (result.rowCount ?? 0) > 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
