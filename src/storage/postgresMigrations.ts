import type { Pool } from 'pg';
import { applyPostgresMigrationTrack, readPostgresTrackVersions, type Migration, type PostgresMigrationTrack } from '../routing/index.js';
import { postgresBoardMigrations, postgresBoardVersionTable } from './postgresBoardSchema.js';

/** The board storage's migration track (its own version table, beside the control store's). */
function boardTrack(list: readonly Migration[]): PostgresMigrationTrack {
  return { label: 'board schema', versionTable: postgresBoardVersionTable, migrations: list };
}

/** Brings the board schema up to the last migration (one transaction) and returns the versions applied. */
export function applyPostgresMigrations(pool: Pool, list: readonly Migration[] = postgresBoardMigrations): Promise<number[]> {
  return applyPostgresMigrationTrack(pool, boardTrack(list));
}

/** The versions recorded in the board schema's version table, ascending. */
export function readPostgresSchemaVersions(pool: Pool): Promise<number[]> {
  return readPostgresTrackVersions(pool, boardTrack(postgresBoardMigrations));
}
