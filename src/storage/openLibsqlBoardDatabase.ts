import type { Client } from '@libsql/client';
import { applyMigrations, openMigratedLibsqlClient } from '../routing/index.js';
import { libsqlBoardMigrations, libsqlBoardVersionTable } from './libsqlBoardSchema.js';

export interface LibsqlBoardDatabaseOptions {
  /** `file:path` (default shape: the control store's file), `:memory:`, or `libsql:`/`http(s):`/`ws(s):`. */
  url: string;
  authToken?: string;
}

/**
 * A libSQL client for boards, opened as the control store opens its own, with the board
 * migrations on their own version table: a board-only database must not get the control schema.
 */
export function openLibsqlBoardDatabase(options: LibsqlBoardDatabaseOptions): Promise<Client> {
  return openMigratedLibsqlClient(options, (client) => applyMigrations(client, libsqlBoardMigrations, libsqlBoardVersionTable));
}
