import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createClient, type Client, type Row } from '@libsql/client';
import { applyMigrations } from './schema.js';

/**
 * One open libSQL/Turso control database (routing + tenants), migrated to the current schema.
 *
 * Use `client.execute` and `client.batch` only. For a `file:` database the client keeps a small
 * pool of connections and runs each call synchronously on one of them; an interactive
 * `client.transaction()` held across an `await` would let another pooled connection block the
 * event loop on SQLite's write lock until the busy timeout. A write `batch` is one transaction
 * and one round trip, which is what every hot-path call here needs anyway.
 */
export interface LibsqlDatabase {
  readonly client: Client;
  readonly kind: LibsqlDatabaseKind;
  readonly closed: boolean;
  /** Idempotent: the routing table and `openControlStores` may both close the same database. */
  close(): Promise<void>;
}

export type LibsqlDatabaseKind = 'file' | 'memory' | 'remote';

export interface LibsqlDatabaseOptions {
  /** `file:path`, `:memory:` / `file::memory:`, or `libsql://`, `http(s)://`, `ws(s)://`. */
  url: string;
  authToken?: string;
  /**
   * For a file: whether a commit waits for the disk. `full` (the default) fsyncs the WAL at every
   * commit. `normal` leaves that to the next checkpoint: a commit survives the process crashing,
   * but a power loss may undo the last ones. The serve process uses `normal` because it writes
   * on the event loop for every connect and disconnect (an `active_sessions` row: ~0.6 ms of
   * fsync each on a VM disk, 0.14 ms without), and everything it writes is either rebuilt
   * (routing, node rows swept when a node stops heartbeating) or written once at the first dev
   * start. Tenants, apps and key rotations come from CLI commands, which keep `full`.
   */
  commitSync?: 'full' | 'normal';
}

/**
 * How long a statement waits for another process's write lock before failing with SQLITE_BUSY.
 * The server and CLI commands share one file; their transactions are a few statements long.
 */
export const busyTimeoutMs = 5000;

export async function openLibsqlDatabase(options: LibsqlDatabaseOptions): Promise<LibsqlDatabase> {
  const client = await openMigratedLibsqlClient(options, (opened) => applyMigrations(opened));
  return new OpenLibsqlDatabase(client, databaseKind(options.url));
}

/**
 * A libSQL client opened the way every store of this server opens one: for a file, its directory
 * created, the busy timeout on every pooled connection and WAL; then `migrate` (each store has its
 * own migration track). The client is closed again when any of that fails.
 */
export async function openMigratedLibsqlClient(options: LibsqlDatabaseOptions, migrate: (client: Client) => Promise<unknown>): Promise<Client> {
  const kind = databaseKind(options.url);
  const path = kind === 'file' ? filePathOfUrl(options.url) : null;
  const syncAtCheckpoints = kind === 'file' && options.commitSync === 'normal';
  if (path !== null) await mkdir(dirname(path), { recursive: true });
  const client = createClient({
    url: options.url,
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    // Sets busy_timeout on every pooled connection, not just the one a PRAGMA would reach.
    ...(kind === 'file' ? { timeout: busyTimeoutMs } : {}),
    // A PRAGMA reaches one connection of the pool; with one connection it reaches all of them.
    // Calls run synchronously and no transaction is held across an await, so one is enough. A
    // connection the pool opens anew after an error is back on `full`: slower, never less safe.
    ...(syncAtCheckpoints ? { concurrency: 1 } : {}),
  });
  try {
    if (kind === 'file') await useWriteAheadLog(client);
    if (syncAtCheckpoints) await client.execute('PRAGMA synchronous=NORMAL');
    await migrate(client);
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

class OpenLibsqlDatabase implements LibsqlDatabase {
  constructor(
    readonly client: Client,
    readonly kind: LibsqlDatabaseKind,
  ) {}

  get closed(): boolean {
    return this.client.closed;
  }

  async close(): Promise<void> {
    if (!this.client.closed) this.client.close();
  }
}

/**
 * WAL lets readers (countConnections, getRoute) proceed while another process writes. The mode
 * is stored in the file, so it is switched only once; switching needs a lock that a second
 * process opening the same fresh file at the same moment would otherwise contend for.
 */
async function useWriteAheadLog(client: Client): Promise<void> {
  const current = await client.execute('PRAGMA journal_mode');
  if (String(current.rows[0]?.journal_mode).toLowerCase() === 'wal') return;
  await client.execute('PRAGMA journal_mode=WAL');
}

export function databaseKind(url: string): LibsqlDatabaseKind {
  if (url === ':memory:' || url.startsWith('file::memory:')) return 'memory';
  if (url.startsWith('file:')) return 'file';
  return 'remote';
}

/**
 * The file system path of a `file:` URL, in the forms libSQL accepts: `file:relative/x.db`,
 * `file:/abs/x.db`, `file:///abs/x.db`, `file://localhost/abs/x.db`; query string ignored.
 */
export function filePathOfUrl(url: string): string {
  let rest = url.slice('file:'.length);
  const queryStart = rest.search(/[?#]/);
  if (queryStart >= 0) rest = rest.slice(0, queryStart);
  if (rest.startsWith('//')) {
    const pathStart = rest.indexOf('/', 2);
    rest = pathStart < 0 ? '' : rest.slice(pathStart);
  }
  const path = decodeURIComponent(rest);
  if (path.length === 0) throw new Error(`the database URL ${JSON.stringify(url)} names no file`);
  return path;
}

/** A TEXT column read from a row; a different type means the schema and the code disagree. */
export function rowString(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new Error(`column ${column} is ${typeof value}, expected text`);
  return value;
}

/** An INTEGER column read from a row (the client returns safe integers as numbers). */
export function rowNumber(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw new Error(`column ${column} is ${typeof value}, expected an integer`);
  return value;
}
