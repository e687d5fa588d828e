import pg from 'pg';

export interface PostgresPoolOptions {
  /** `postgres://` or `postgresql://`; a schema may also come through `?options=-c%20search_path%3D...`. */
  url: string;
  /** Tables live in this schema (it must exist); by default in the server's search_path. */
  schema?: string;
  /** Pool size (default 10): concurrent calls beyond it queue for a connection. */
  maxConnections?: number;
}

/** Connections per pool (pg's own default, named): concurrent calls beyond it queue. */
export const defaultPostgresMaxConnections = 10;

/** The URL schemes that name a PostgreSQL database. */
export const postgresSchemes: readonly string[] = ['postgres:', 'postgresql:'];

/** Whether the URL names a PostgreSQL database (`postgres://`, `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return match !== null && postgresSchemes.includes(`${match[1].toLowerCase()}:`);
}

/** A pool as every PostgreSQL store of this server opens one. */
export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool(poolConfig(options));
  // An idle connection that breaks (server restart) is dropped by the pool; without a listener
  // the 'error' event would crash the process. The next call reports the outage to its caller.
  pool.on('error', () => undefined);
  return pool;
}

function poolConfig(options: PostgresPoolOptions): pg.PoolConfig {
  const config: pg.PoolConfig = {
    connectionString: options.url,
    max: options.maxConnections ?? defaultPostgresMaxConnections,
    application_name: 'wiresocket',
  };
  if (options.schema !== undefined) {
    // Sent at connect as a startup parameter, so no connection ever runs a query outside it.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.schema)) throw new Error(`${JSON.stringify(options.schema)} is not a valid schema name`);
    config.options = `-c search_path=${options.schema}`;
  }
  return config;
}

/** The URL without a password, so an error message can be logged. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}
