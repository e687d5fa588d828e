export type { BoardElement, BoardEvent, ElementMutation, StoredElement, Tombstone } from './boardElements.js';
export type {
  AppendOutcome,
  BatchReceipt,
  BoardSnapshot,
  EventLogStorage,
  NewBatch,
  NewSnapshot,
  PageChanges,
  StoredBoard,
} from './eventLogStorage.js';
export { acceptedStorageUrls, createEventLogStorage, type EventLogStorageOptions } from './createEventLogStorage.js';
export { LibsqlEventLogStorage } from './libsqlEventLogStorage.js';
export type { LibsqlBoardDatabaseOptions } from './openLibsqlBoardDatabase.js';
export { libsqlBoardMigrations, libsqlBoardVersionTable } from './libsqlBoardSchema.js';
export { PostgresEventLogStorage, type PostgresEventLogStorageOptions } from './postgresEventLogStorage.js';
export { postgresBoardMigrations, postgresBoardVersionTable } from './postgresBoardSchema.js';
export { applyPostgresMigrations, readPostgresSchemaVersions } from './postgresMigrations.js';
