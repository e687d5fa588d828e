import { LibsqlTenantRegistry } from '../tenancy/libsqlTenantRegistry.js';
import type { TenantRegistry } from '../tenancy/tenantRegistry.js';
import { openLibsqlDatabase, type LibsqlDatabase, type LibsqlDatabaseOptions } from './libsqlDatabase.js';
import { LibsqlRoutingTable } from './libsqlRoutingTable.js';
import type { RoutingTable } from './routingTable.js';

/** The routing table and the tenant registry over one database, as the server and CLI use them. */
export interface ControlStores {
  database: LibsqlDatabase;
  routing: RoutingTable;
  tenants: TenantRegistry;
  /** Closes the shared database once; safe to call after `routing.close()`. */
  close(): Promise<void>;
}

/**
 * Both stores share one database because `pinDocument` reads the tenant's `max_documents` in
 * the same transaction as its routing insert.
 */
export async function openControlStores(options: LibsqlDatabaseOptions): Promise<ControlStores> {
  const database = await openLibsqlDatabase(options);
  return {
    database,
    routing: new LibsqlRoutingTable(database),
    tenants: new LibsqlTenantRegistry(database),
    close: () => database.close(),
  };
}
