export type {
  ActiveConnection,
  DocumentRoute,
  NewDocumentRoute,
  NodeRecord,
  OrphanedDocument,
  PinResult,
  ReapedNodes,
  RoutingTable,
} from './routingTable.js';
export {
  busyTimeoutMs,
  openLibsqlDatabase,
  type LibsqlDatabase,
  type LibsqlDatabaseKind,
  type LibsqlDatabaseOptions,
} from './libsqlDatabase.js';
export { applyMigrations, migrations, readSchemaVersions, type Migration } from './schema.js';
export { LibsqlRoutingTable } from './libsqlRoutingTable.js';
export { openControlStores, type ControlStores } from './controlStores.js';
