import { LibsqlTenantRegistry } from '../tenancy/libsqlTenantRegistry.js';
import { PostgresTenantRegistry } from '../tenancy/postgresTenantRegistry.js';
import type { TenantRegistry } from '../tenancy/tenantRegistry.js';
import { openLibsqlDatabase, type LibsqlDatabase, type LibsqlDatabaseOptions } from './libsqlDatabase.js';
import { LibsqlRoutingTable } from './libsqlRoutingTable.js';
import { openPostgresControlDatabase, type PostgresControlDatabase, type PostgresControlDatabaseOptions } from './postgresControlDatabase.js';
import { isPostgresUrl } from './postgresPool.js';
import { PostgresRoutingTable } from './postgresRoutingTable.js';
import type { RoutingTable } from './routingTable.js';

/** The routing table and the tenant registry over one database, as the server and CLI use them. */
export type ControlStores = LibsqlControlStores | PostgresControlStores;

interface SharedControlStores {
  routing: RoutingTable;
  tenants: TenantRegistry;
  /** Closes the shared database once; safe to call after `routing.close()`. */
  close(): Promise<void>;
}

export interface LibsqlControlStores extends SharedControlStores {
  kind: 'libsql';
  database: LibsqlDatabase;
}

export interface PostgresControlStores extends SharedControlStores {
  kind: 'postgres';
  database: PostgresControlDatabase;
}

export interface ControlStoreOptions {
  /**
   * `postgres://` / `postgresql://` (PostgreSQL; tables in the first schema of the search_path,
   * another one with `?options=-c%20search_path%3Dcontrol`), else a libSQL URL (libsqlDatabase.ts).
   */
  url: string;
  /** libSQL/Turso only: the database token (PostgreSQL credentials go in the URL). */
  authToken?: string;
  /** libSQL files only (see LibsqlDatabaseOptions); PostgreSQL commits are always durable. */
  commitSync?: LibsqlDatabaseOptions['commitSync'];
}

/**
 * Opens the control stores the URL names. Both stores share one database because a pin reads the
 * tenant's `max_documents` in the same transaction as its routing insert.
 */
export async function openControlStores(options: ControlStoreOptions): Promise<ControlStores> {
  if (!isPostgresUrl(options.url)) return openLibsqlControlStores(options);
  if (options.authToken !== undefined) throw new Error('an auth token is for libSQL/Turso; put PostgreSQL credentials in the URL');
  return openPostgresControlStores({ url: options.url });
}

export async function openLibsqlControlStores(options: LibsqlDatabaseOptions): Promise<LibsqlControlStores> {
  const database = await openLibsqlDatabase(options);
  return {
    kind: 'libsql',
    database,
    routing: new LibsqlRoutingTable(database),
    tenants: new LibsqlTenantRegistry(database),
    close: () => database.close(),
  };
}

/** Both stores on one pool (`schema` as in PostgresPoolOptions). */
export async function openPostgresControlStores(options: PostgresControlDatabaseOptions): Promise<PostgresControlStores> {
  const database = await openPostgresControlDatabase(options);
  return {
    kind: 'postgres',
    database,
    routing: new PostgresRoutingTable(database),
    tenants: new PostgresTenantRegistry(database),
    close: () => database.close(),
  };
}
