import { dropFunctionsV1, pinFunction, removeNodeFunction, runBatchFunction, unpinIfUnusedFunction } from './postgresRoutingFunctions.js';
import { pinFunctionV1, runBatchFunctionV1 } from './postgresRoutingFunctionsV1.js';
import { pinFunctionV2, runBatchFunctionV2 } from './postgresRoutingFunctionsV2.js';
import type { PostgresMigrationTrack } from './postgresMigrations.js';
import { postgresOutboxStatements } from './postgresOutboxSchema.js';
import type { Migration } from './schema.js';

/**
 * The control store's schema on PostgreSQL (DESIGN.md "Stores"): the same tables as on libSQL
 * (schema.ts), in whatever schema the pool's search_path names first. A migration is never
 * edited once released. Times are integer milliseconds since the epoch, counts and limits bigint
 * (SQLite's INTEGER is 64-bit too). Id columns use the "C" collation: byte order, as in SQLite,
 * so both adapters list tenants and apps in the same order.
 */
export const postgresControlMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'control store: tenants, apps, key rotations, routing, sessions, nodes, routing functions',
    statements: [
      `CREATE TABLE tenants (
        tenant_id text COLLATE "C" PRIMARY KEY,
        max_documents bigint NOT NULL,
        created_at bigint NOT NULL
      )`,
      `CREATE TABLE apps (
        tenant_id text COLLATE "C" NOT NULL,
        app_id text COLLATE "C" NOT NULL,
        key_kind text NOT NULL,
        key_algorithm text NOT NULL,
        key_material text NOT NULL,
        created_at bigint NOT NULL,
        key_version bigint NOT NULL DEFAULT 1,
        PRIMARY KEY (tenant_id, app_id)
      )`,
      // A sequence, not a time: nodes poll "after the last one I saw". Rotations take a lock
      // before drawing one (postgresTenantRegistry.ts), so sequences commit in order.
      `CREATE TABLE key_rotations (
        sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id text NOT NULL,
        app_id text NOT NULL,
        key_version bigint NOT NULL,
        rotated_at bigint NOT NULL
      )`,
      `CREATE TABLE document_routing (
        doc_key text COLLATE "C" PRIMARY KEY,
        tenant_id text COLLATE "C" NOT NULL,
        region text NOT NULL,
        node_id text COLLATE "C" NOT NULL,
        pinned_at bigint NOT NULL
      )`,
      // The quota check counts a tenant's rows on every first connect.
      `CREATE INDEX document_routing_tenant ON document_routing (tenant_id)`,
      // Removing and reaping a node finds the documents it pinned.
      `CREATE INDEX document_routing_node ON document_routing (node_id)`,
      `CREATE TABLE active_sessions (
        connection_id text COLLATE "C" PRIMARY KEY,
        doc_key text COLLATE "C" NOT NULL,
        node_id text COLLATE "C" NOT NULL,
        user_id text NOT NULL,
        connected_at bigint NOT NULL
      )`,
      // Counting a document's participants on every leave; reaping a dead node's rows.
      `CREATE INDEX active_sessions_doc ON active_sessions (doc_key)`,
      `CREATE INDEX active_sessions_node ON active_sessions (node_id)`,
      `CREATE TABLE nodes (
        node_id text COLLATE "C" PRIMARY KEY,
        region text NOT NULL,
        url text NOT NULL,
        heartbeat_at bigint NOT NULL
      )`,
      pinFunctionV1,
      runBatchFunctionV1,
      unpinIfUnusedFunction,
      removeNodeFunction,
    ],
  },
  {
    version: 2,
    name: 'regions: each claim of a document carries an epoch that outlives its purge',
    statements: [
      // Rows pinned before this version are their document's first known claim.
      `ALTER TABLE document_routing ADD COLUMN epoch bigint NOT NULL DEFAULT 1`,
      // The highest epoch each document ever had: a purge deletes the routing row, not this.
      `CREATE TABLE document_epochs (
        doc_key text COLLATE "C" PRIMARY KEY,
        epoch bigint NOT NULL
      )`,
      `INSERT INTO document_epochs (doc_key, epoch) SELECT doc_key, epoch FROM document_routing`,
      // The route lookup and the proxy pick a live node of a region.
      `CREATE INDEX nodes_region ON nodes (region, heartbeat_at)`,
      ...dropFunctionsV1,
      pinFunctionV2,
      runBatchFunctionV2,
    ],
  },
  {
    version: 3,
    name: "residency: the regions a tenant's documents and boards may be pinned to",
    statements: [
      // NULL: anywhere (every tenant before this version).
      `ALTER TABLE tenants ADD COLUMN allowed_regions text`,
      ...dropFunctionsV1,
      pinFunction,
      runBatchFunction,
    ],
  },
  {
    version: 4,
    name: 'webhooks: endpoints and a durable outbox of events and their deliveries',
    statements: postgresOutboxStatements,
  },
  {
    version: 5,
    name: 'admin: the server admin key, never an app key',
    statements: [
      // One row per key version; the newest signs and verifies admin tokens (rotation adds a row).
      `CREATE TABLE admin_keys (
        key_version bigint PRIMARY KEY,
        secret text NOT NULL,
        created_at bigint NOT NULL
      )`,
    ],
  },
];

/** The control store's version table; the board storage (same database or not) keeps its own. */
export const postgresControlVersionTable = 'control_schema_version';

export const postgresControlTrack: PostgresMigrationTrack = {
  label: 'control schema',
  versionTable: postgresControlVersionTable,
  migrations: postgresControlMigrations,
};
