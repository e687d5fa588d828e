import type { Client } from '@libsql/client';
import { applyMigrations, openMigratedLibsqlClient, type Migration } from '../routing/index.js';
import type { DocumentArchive } from './documentArchive.js';

/** The archive's own migration track in the file (its own version table). */
export const libsqlArchiveMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'document_archive',
    statements: [
      `CREATE TABLE IF NOT EXISTS document_archive (
  doc_key TEXT PRIMARY KEY,
  state BLOB NOT NULL,
  archived_at INTEGER NOT NULL
)`,
    ],
  },
];
export const libsqlArchiveVersionTable = 'archive_schema_versions';

const upsertState = `INSERT INTO document_archive (doc_key, state, archived_at) VALUES (?, ?, ?)
  ON CONFLICT (doc_key) DO UPDATE SET state = excluded.state, archived_at = excluded.archived_at`;

/** The archive in a libSQL database (`file:` in practice; Turso URLs work the same way). */
export class LibsqlDocumentArchive implements DocumentArchive {
  readonly kind = 'libsql';
  private closed = false;

  private constructor(private readonly client: Client) {}

  static async open(url: string, authToken?: string): Promise<LibsqlDocumentArchive> {
    const client = await openMigratedLibsqlClient({ url, authToken }, (opened) => applyMigrations(opened, libsqlArchiveMigrations, libsqlArchiveVersionTable));
    return new LibsqlDocumentArchive(client);
  }

  async get(docKey: string): Promise<Uint8Array | null> {
    const result = await this.client.execute({ sql: 'SELECT state FROM document_archive WHERE doc_key = ?', args: [docKey] });
    const state = result.rows[0]?.state;
    if (state === undefined || state === null) return null;
    if (!(state instanceof ArrayBuffer)) throw new Error('archive: a stored state is not a BLOB');
    return new Uint8Array(state);
  }

  async put(docKey: string, state: Uint8Array): Promise<void> {
    await this.client.execute({ sql: upsertState, args: [docKey, state, Date.now()] });
  }

  async delete(docKey: string): Promise<boolean> {
    const result = await this.client.execute({ sql: 'DELETE FROM document_archive WHERE doc_key = ?', args: [docKey] });
    return result.rowsAffected > 0;
  }

  async ping(): Promise<void> {
    await this.client.execute('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}
