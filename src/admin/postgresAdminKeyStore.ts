import { intColumn, textColumn, type PostgresControlDatabase, type PostgresRow } from '../routing/index.js';
import { generateAdminSecret } from './adminKeySecret.js';
import type { AdminKey, AdminKeyStore } from './adminKeyStore.js';

const selectNewest = 'SELECT key_version, secret FROM admin_keys ORDER BY key_version DESC LIMIT 1';
/** Version 1 only while the table is empty; of two concurrent inserts, the primary key lets one in. */
const insertFirst = `
  INSERT INTO admin_keys (key_version, secret, created_at) SELECT 1, $1, $2
  WHERE NOT EXISTS (SELECT 1 FROM admin_keys)
  ON CONFLICT (key_version) DO NOTHING`;
/** Two rotations at once draw the same version: the second does nothing and both read the winner. */
const insertNext = `
  INSERT INTO admin_keys (key_version, secret, created_at)
  SELECT COALESCE(MAX(key_version), 0) + 1, $1, $2 FROM admin_keys
  ON CONFLICT (key_version) DO NOTHING`;

/** AdminKeyStore on the PostgreSQL control schema (its migration 5). */
export class PostgresAdminKeyStore implements AdminKeyStore {
  constructor(
    private readonly database: PostgresControlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  async currentKey(): Promise<AdminKey> {
    const existing = await this.database.pool.query<PostgresRow>(selectNewest);
    if (existing.rows[0]) return keyFromRow(existing.rows[0]);
    return this.writeThenRead(insertFirst);
  }

  rotateKey(): Promise<AdminKey> {
    return this.writeThenRead(insertNext);
  }

  private async writeThenRead(insert: string): Promise<AdminKey> {
    await this.database.pool.query(insert, [generateAdminSecret(), this.now()]);
    const selected = await this.database.pool.query<PostgresRow>(selectNewest);
    const row = selected.rows[0];
    if (!row) throw new Error('admin key store: no key after writing one');
    return keyFromRow(row);
  }
}

function keyFromRow(row: PostgresRow): AdminKey {
  return { version: intColumn(row, 'key_version'), secret: textColumn(row, 'secret') };
}
