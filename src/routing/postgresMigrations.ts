import type { Pool, PoolClient } from 'pg';
import type { Migration } from './schema.js';

/**
 * One schema's migrations on PostgreSQL: the control store and the board storage each keep their
 * own track (version table and lock), so both may live in one database and schema.
 */
export interface PostgresMigrationTrack {
  /** What the track migrates, for error messages and its lock: `control schema`, `board schema`. */
  readonly label: string;
  /** A plain identifier, never a value from outside. */
  readonly versionTable: string;
  readonly migrations: readonly Migration[];
}

interface VersionTableSql {
  create: string;
  select: string;
  insert: string;
  /**
   * Serialises the processes migrating this track (nodes starting together). Transaction-scoped,
   * so a crashed migrator never leaves it held. One key per track: migrations are rare and short.
   */
  lock: string;
}

function versionTableSql(track: Pick<PostgresMigrationTrack, 'label' | 'versionTable'>): VersionTableSql {
  const table = track.versionTable;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`${JSON.stringify(table)} is not a valid version table name`);
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table} (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at bigint NOT NULL
)`,
    select: `SELECT version FROM ${table} ORDER BY version`,
    insert: `INSERT INTO ${table} (version, name, applied_at) VALUES ($1, $2, $3)`,
    lock: `SELECT pg_advisory_xact_lock(hashtext(${quoted(`wiresocket ${track.label}`)}))`,
  };
}

/**
 * Brings the track up to its last migration in one transaction (PostgreSQL DDL is
 * transactional: a failed migration leaves nothing half-made) and returns the versions applied.
 */
export async function applyPostgresMigrationTrack(pool: Pool, track: PostgresMigrationTrack): Promise<number[]> {
  checkOrdered(track);
  const sql = versionTableSql(track);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const appliedNow = await applyMissing(client, track, sql);
    await client.query('COMMIT');
    return appliedNow;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The versions recorded in the track's version table, ascending. */
export async function readPostgresTrackVersions(pool: Pool, track: Pick<PostgresMigrationTrack, 'label' | 'versionTable'>): Promise<number[]> {
  const result = await pool.query<{ version: number }>(versionTableSql(track).select);
  return result.rows.map((row) => row.version);
}

async function applyMissing(client: PoolClient, track: PostgresMigrationTrack, sql: VersionTableSql): Promise<number[]> {
  await client.query(sql.lock);
  await client.query(sql.create);
  const result = await client.query<{ version: number }>(sql.select);
  const applied = new Set(result.rows.map((row) => row.version));
  checkNotNewer(applied, track);
  const appliedNow: number[] = [];
  for (const migration of track.migrations) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await client.query(statement);
    await client.query(sql.insert, [migration.version, migration.name, Date.now()]);
    appliedNow.push(migration.version);
  }
  return appliedNow;
}

function checkOrdered(track: PostgresMigrationTrack): void {
  track.migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`${track.label} migrations must be numbered 1, 2, 3, ...; entry ${index} has version ${migration.version}`);
    }
  });
}

/** A database written by a newer wiresocket must not be used by an older one that misreads it. */
function checkNotNewer(applied: Set<number>, track: PostgresMigrationTrack): void {
  const newest = Math.max(0, ...applied);
  if (newest > track.migrations.length) {
    throw new Error(`the ${track.label} is at version ${newest}, newer than this wiresocket knows (${track.migrations.length}); upgrade wiresocket`);
  }
}

function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
