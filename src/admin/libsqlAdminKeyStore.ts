import { rowNumber, rowString, type LibsqlDatabase } from '../routing/index.js';
import { generateAdminSecret } from './adminKeySecret.js';
import type { AdminKey, AdminKeyStore } from './adminKeyStore.js';

const selectNewest = 'SELECT key_version, secret FROM admin_keys ORDER BY key_version DESC LIMIT 1';
/** Version 1 only while the table is empty; of two processes creating it at once, the second's insert does nothing. */
const insertFirst = `
  INSERT INTO admin_keys (key_version, secret, created_at) SELECT 1, ?, ?
  WHERE NOT EXISTS (SELECT 1 FROM admin_keys)
  ON CONFLICT (key_version) DO NOTHING`;
const insertNext = `
  INSERT INTO admin_keys (key_version, secret, created_at)
  SELECT COALESCE(MAX(key_version), 0) + 1, ?, ? FROM admin_keys`;

/** AdminKeyStore on the control store's libSQL database (its migration 6). */
export class LibsqlAdminKeyStore implements AdminKeyStore {
  constructor(
    private readonly database: LibsqlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  /** A read first: the usual answer (the key exists) takes no write lock on a file every node shares. */
  async currentKey(): Promise<AdminKey> {
    const existing = await this.database.client.execute(selectNewest);
    if (existing.rows[0]) return keyFromRow(existing.rows[0]);
    return this.writeThenRead(insertFirst);
  }

  rotateKey(): Promise<AdminKey> {
    return this.writeThenRead(insertNext);
  }

  private async writeThenRead(insert: string): Promise<AdminKey> {
    const [, selected] = await this.database.client.batch([{ sql: insert, args: [generateAdminSecret(), this.now()] }, selectNewest], 'write');
    const row = selected.rows[0];
    if (!row) throw new Error('admin key store: no key after writing one');
    return keyFromRow(row);
  }
}

function keyFromRow(row: Parameters<typeof rowString>[0]): AdminKey {
  return { version: rowNumber(row, 'key_version'), secret: rowString(row, 'secret') };
}
