import type { Pool, PoolClient } from 'pg';
import type { Migration } from '../routing/index.js';
import { postgresBoardMigrations, postgresBoardVersionTable } from './postgresBoardSchema.js';

const createVersionTable = `CREATE TABLE IF NOT EXISTS ${postgresBoardVersionTable} (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at bigint NOT NULL
)`;
const selectVersions = `SELECT version FROM ${postgresBoardVersionTable} ORDER BY version`;
const insertVersion = `INSERT INTO ${postgresBoardVersionTable} (version, name, applied_at) VALUES ($1, $2, $3)`;
/**
 * Serialises migrating processes (nodes starting together). Transaction-scoped, so a crashed
 * migrator never leaves it held. One key for the whole database: migrations are rare and short.
 */
const lockMigrations = "SELECT pg_advisory_xact_lock(hashtext('wiresocket board schema'))";

/**
 * Brings the schema up to the last migration in one transaction (PostgreSQL DDL is
 * transactional: a failed migration leaves nothing half-made) and returns the versions applied.
 */
export async function applyPostgresMigrations(pool: Pool, list: readonly Migration[] = postgresBoardMigrations): Promise<number[]> {
  checkOrdered(list);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const appliedNow = await applyMissing(client, list);
    await client.query('COMMIT');
    return appliedNow;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The versions recorded in the version table, ascending. */
export async function readPostgresSchemaVersions(pool: Pool): Promise<number[]> {
  const result = await pool.query<{ version: number }>(selectVersions);
  return result.rows.map((row) => row.version);
}

async function applyMissing(client: PoolClient, list: readonly Migration[]): Promise<number[]> {
  await client.query(lockMigrations);
  await client.query(createVersionTable);
  const result = await client.query<{ version: number }>(selectVersions);
  const applied = new Set(result.rows.map((row) => row.version));
  checkNotNewer(applied, list);
  const appliedNow: number[] = [];
  for (const migration of list) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await client.query(statement);
    await client.query(insertVersion, [migration.version, migration.name, Date.now()]);
    appliedNow.push(migration.version);
  }
  return appliedNow;
}

function checkOrdered(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`board schema migrations must be numbered 1, 2, 3, ...; entry ${index} has version ${migration.version}`);
    }
  });
}

/** A database written by a newer wiresocket must not be used by an older one that misreads it. */
function checkNotNewer(applied: Set<number>, list: readonly Migration[]): void {
  const newest = Math.max(0, ...applied);
  if (newest > list.length) {
    throw new Error(`the board schema is at version ${newest}, newer than this wiresocket knows (${list.length}); upgrade wiresocket`);
  }
}
