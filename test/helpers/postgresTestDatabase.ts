import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL with trust auth on the default port, database `test`; the user differs by install. */
const candidateUrls = ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

/** The first candidate URL that answers, or null. */
export async function reachablePostgresUrl(): Promise<string | null> {
  for (const url of candidateUrls) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return url;
    } catch {
      // The next user, or nobody.
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return null;
}

/**
 * Schemas of one test file in the shared `test` database: each made fresh, all dropped by
 * `dropAll` (call it from `after`).
 */
export class PostgresSchemas {
  private readonly admin: pg.Client;
  private readonly created: string[] = [];
  private connected: Promise<unknown> | null = null;

  constructor(readonly url: string) {
    this.admin = new pg.Client({ connectionString: url });
    this.admin.on('error', () => undefined);
  }

  async fresh(): Promise<string> {
    this.connected ??= this.admin.connect();
    await this.connected;
    const schema = `ws_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await this.admin.query(`CREATE SCHEMA ${schema}`);
    this.created.push(schema);
    return schema;
  }

  async dropAll(): Promise<void> {
    if (!this.connected) return;
    for (const schema of this.created.splice(0)) await this.admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await this.admin.end();
  }
}

/**
 * The gate of a suite that needs PostgreSQL: without it the suite is skipped with a loud
 * notice, except under CI=true, where `assertAvailable` fails it.
 */
export async function postgresGate(): Promise<{ url: string | null; skip: string | false; assertAvailable(): void }> {
  const url = await reachablePostgresUrl();
  const ci = process.env.CI === 'true';
  if (url === null && !ci) console.warn('\n*** SKIPPING tests that need PostgreSQL on 127.0.0.1:5432 (database test; with CI=true this fails) ***\n');
  return {
    url,
    skip: url !== null || ci ? false : 'PostgreSQL is not answering on 127.0.0.1:5432',
    assertAvailable: () => assert.ok(url !== null, 'PostgreSQL must answer on 127.0.0.1:5432 (CI=true)'),
  };
}

/** The URL with `schema` as its search_path, as an operator would name a schema in `--db-url`. */
export function urlWithSchema(url: string, schema: string): string {
  return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}
