import type pg from 'pg';
import { postgresControlTrack } from './postgresControlSchema.js';
import { applyPostgresMigrationTrack } from './postgresMigrations.js';
import { createPostgresPool, type PostgresPoolOptions } from './postgresPool.js';

/**
 * One PostgreSQL control database (routing + tenants) behind one pool, migrated to the current
 * schema. Every node and CLI command opens its own pool on the same database.
 */
export interface PostgresControlDatabase {
  readonly pool: pg.Pool;
  readonly closed: boolean;
  /** Idempotent: the routing table and `openControlStores` may both close the same database. */
  close(): Promise<void>;
}

export type PostgresControlDatabaseOptions = PostgresPoolOptions;

export async function openPostgresControlDatabase(options: PostgresControlDatabaseOptions): Promise<PostgresControlDatabase> {
  const pool = createPostgresPool(options);
  try {
    await applyPostgresMigrationTrack(pool, postgresControlTrack);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new OpenPostgresControlDatabase(pool);
}

class OpenPostgresControlDatabase implements PostgresControlDatabase {
  private closing: Promise<void> | null = null;

  constructor(readonly pool: pg.Pool) {}

  get closed(): boolean {
    return this.closing !== null;
  }

  /** `pool.end()` may be called only once. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}
