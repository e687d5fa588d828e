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
  databaseKind,
  filePathOfUrl,
  openLibsqlDatabase,
  openMigratedLibsqlClient,
  rowNumber,
  rowString,
  type LibsqlDatabase,
  type LibsqlDatabaseKind,
  type LibsqlDatabaseOptions,
} from './libsqlDatabase.js';
export { applyMigrations, defaultVersionTable, migrations, readSchemaVersions, type Migration } from './schema.js';
export { LibsqlRoutingTable } from './libsqlRoutingTable.js';
export { openControlStores, type ControlStores } from './controlStores.js';
