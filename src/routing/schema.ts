import type { Client } from '@libsql/client';
import { libsqlOutboxStatements } from './libsqlOutboxSchema.js';

/**
 * The control store's schema as an ordered list of migrations (DESIGN.md "Stores"). A migration
 * is never edited once released: a change is a new entry with the next version. Times are
 * integer milliseconds since the epoch.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'control store: tenants, apps, routing, sessions, nodes',
    statements: [
      `CREATE TABLE tenants (
        tenant_id TEXT PRIMARY KEY,
        max_documents INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      `CREATE TABLE apps (
        tenant_id TEXT NOT NULL,
        app_id TEXT NOT NULL,
        key_kind TEXT NOT NULL,
        key_algorithm TEXT NOT NULL,
        key_material TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, app_id)
      )`,
      `CREATE TABLE document_routing (
        doc_key TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        region TEXT NOT NULL,
        node_id TEXT NOT NULL,
        pinned_at INTEGER NOT NULL
      )`,
      // The quota check counts a tenant's rows on every first connect.
      `CREATE INDEX document_routing_tenant ON document_routing (tenant_id)`,
      `CREATE TABLE active_sessions (
        connection_id TEXT PRIMARY KEY,
        doc_key TEXT NOT NULL,
        node_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        connected_at INTEGER NOT NULL
      )`,
      // Counting a document's participants on every leave; reaping a dead node's rows.
      `CREATE INDEX active_sessions_doc ON active_sessions (doc_key)`,
      `CREATE INDEX active_sessions_node ON active_sessions (node_id)`,
      `CREATE TABLE nodes (
        node_id TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        url TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'app key rotation: key versions and a rotation log every node polls',
    statements: [
      `ALTER TABLE apps ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1`,
      // A sequence, not a time: nodes poll "after the last one I saw", which no clock skew can fool.
      `CREATE TABLE key_rotations (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id TEXT NOT NULL,
        app_id TEXT NOT NULL,
        key_version INTEGER NOT NULL,
        rotated_at INTEGER NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'regions: each claim of a document carries an epoch that outlives its purge',
    statements: [
      // Rows pinned before this version are their document's first known claim.
      `ALTER TABLE document_routing ADD COLUMN epoch INTEGER NOT NULL DEFAULT 1`,
      // The highest epoch each document ever had: a purge deletes the routing row, not this,
      // so the next claim is still newer than every route or hop an old one handed out.
      `CREATE TABLE document_epochs (
        doc_key TEXT PRIMARY KEY,
        epoch INTEGER NOT NULL
      )`,
      `INSERT INTO document_epochs (doc_key, epoch) SELECT doc_key, epoch FROM document_routing`,
      // The route lookup and the proxy pick a live node of a region.
      `CREATE INDEX nodes_region ON nodes (region, heartbeat_at)`,
    ],
  },
  {
    version: 4,
    name: "residency: the regions a tenant's documents and boards may be pinned to",
    statements: [
      // Comma-joined region names; NULL: anywhere (every tenant before this version).
      `ALTER TABLE tenants ADD COLUMN allowed_regions TEXT`,
    ],
  },
  {
    version: 5,
    name: 'webhooks: endpoints and a durable outbox of events and their deliveries',
    statements: libsqlOutboxStatements,
  },
  {
    version: 6,
    name: 'admin: the server admin key, never an app key',
    statements: [
      // One row per key version; the newest signs and verifies admin tokens (rotation adds a row).
      `CREATE TABLE admin_keys (
        key_version INTEGER PRIMARY KEY,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
      )`,
    ],
  },
];

/** The control store's version table; another schema sharing the file (boards) names its own. */
export const defaultVersionTable = 'schema_version';

/** The statements on one version table (its name is an identifier, never a value from outside). */
interface VersionTableSql {
  create: string;
  select: string;
  insert: string;
}

function versionTableSql(table: string): VersionTableSql {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`${JSON.stringify(table)} is not a valid version table name`);
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table} (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`,
    select: `SELECT version FROM ${table} ORDER BY version`,
    insert: `INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`,
  };
}

/**
 * Brings the database up to the last migration and returns the versions this call applied.
 *
 * Each migration runs as one write batch whose first statement claims its version row. Two
 * processes opening the same fresh file both try; SQLite's write lock lets one in, and the
 * other's claim then fails on the primary key and rolls back its whole batch. The loser sees
 * the version applied on re-reading and moves on, so every migration runs exactly once.
 *
 * `versionTable` lets a second schema in the same database (the board storage) keep its own
 * migration track without touching the control store's versions.
 */
export async function applyMigrations(
  client: Client,
  list: readonly Migration[] = migrations,
  versionTable: string = defaultVersionTable,
): Promise<number[]> {
  checkOrdered(list);
  const sql = versionTableSql(versionTable);
  await client.execute(sql.create);
  const applied = await readVersions(client, sql);
  checkNotNewer(applied, list);
  const appliedNow: number[] = [];
  for (const migration of list) {
    if (applied.has(migration.version)) continue;
    if (await applyOne(client, migration, sql)) appliedNow.push(migration.version);
  }
  return appliedNow;
}

/** The versions recorded in the version table (`schema_version` by default), in ascending order. */
export async function readSchemaVersions(client: Client, versionTable: string = defaultVersionTable): Promise<number[]> {
  return [...(await readVersions(client, versionTableSql(versionTable)))];
}

async function applyOne(client: Client, migration: Migration, sql: VersionTableSql): Promise<boolean> {
  const claim = { sql: sql.insert, args: [migration.version, migration.name, Date.now()] };
  try {
    await client.batch([claim, ...migration.statements], 'write');
    return true;
  } catch (error) {
    // Another process may have applied it between our read and our batch: that is success.
    if ((await readVersions(client, sql)).has(migration.version)) return false;
    throw new Error(`schema migration ${migration.version} (${migration.name}) failed`, { cause: error });
  }
}

async function readVersions(client: Client, sql: VersionTableSql): Promise<Set<number>> {
  const result = await client.execute(sql.select);
  return new Set(result.rows.map((row) => Number(row.version)));
}

function checkOrdered(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`schema migrations must be numbered 1, 2, 3, ...; entry ${index} has version ${migration.version}`);
    }
  });
}

/** A database written by a newer wiresocket must not be used by an older one that misreads it. */
function checkNotNewer(applied: Set<number>, list: readonly Migration[]): void {
  const newest = Math.max(0, ...applied);
  if (newest > list.length) {
    throw new Error(`the database schema is at version ${newest}, newer than this wiresocket knows (${list.length}); upgrade wiresocket`);
  }
}
