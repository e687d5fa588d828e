export type {
  ActiveConnection,
  CreationCheck,
  DocumentRoute,
  ListedDocument,
  NewDocumentRoute,
  NodeRecord,
  OrphanedDocument,
  PinResult,
  ReapedNodes,
  RoutingOperation,
  RoutingOperationResult,
  RouteTakeover,
  RoutingTable,
  TakeoverResult,
} from './routingTable.js';
export { RoutingBatcher, type RoutingBatcherOptions } from './routingBatcher.js';
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
export {
  openControlStores,
  openLibsqlControlStores,
  openPostgresControlStores,
  type ControlStoreOptions,
  type ControlStores,
  type LibsqlControlStores,
  type PostgresControlStores,
} from './controlStores.js';
export { PostgresRoutingTable } from './postgresRoutingTable.js';
export { openPostgresControlDatabase, type PostgresControlDatabase, type PostgresControlDatabaseOptions } from './postgresControlDatabase.js';
export { postgresControlMigrations, postgresControlTrack, postgresControlVersionTable } from './postgresControlSchema.js';
export { applyPostgresMigrationTrack, readPostgresTrackVersions, type PostgresMigrationTrack } from './postgresMigrations.js';
export { createPostgresPool, defaultPostgresMaxConnections, isPostgresUrl, redactedUrl, type PostgresPoolOptions } from './postgresPool.js';
export { intColumn, textColumn, type PostgresRow } from './postgresColumns.js';
export { allEventTypes, type OutboxEvent } from './outboxEvent.js';
export { enqueueStatements as libsqlOutboxStatements } from './libsqlOutboxSql.js';
export { enqueueStatement as postgresOutboxStatement, outboxValues as postgresOutboxValues } from './postgresOutboxSql.js';
export { prefixEnd } from './keyRange.js';
