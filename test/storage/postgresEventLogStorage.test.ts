import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  applyPostgresMigrations,
  createEventLogStorage,
  PostgresEventLogStorage,
  postgresBoardMigrations,
  postgresBoardVersionTable,
  readPostgresSchemaVersions,
} from '../../src/storage/index.js';
import { reachablePostgresUrl } from '../helpers/postgresTestDatabase.js';
import { eventLogStorageContract } from './eventLogStorageContract.js';

/** The only place this test reads the environment: in CI a missing PostgreSQL is a failure. */
const ci = process.env.CI === 'true';
const url = await reachablePostgresUrl();

if (url !== null) {
  postgresTests(url);
} else if (ci) {
  it('PostgreSQL is required in CI (127.0.0.1:5432, trust auth, database test, user postgres or root)', () => {
    assert.fail('no PostgreSQL answers at 127.0.0.1:5432: the PostgreSQL board storage tests cannot run');
  });
} else {
  console.warn(
    '\n*** SKIPPING the PostgreSQL board storage tests: no PostgreSQL answers at 127.0.0.1:5432 (database test, user postgres or root). ***' +
      '\n*** Start one with trust auth to run them; with CI=true this fails. ***\n',
  );
  it.skip('PostgreSQL board storage tests (no PostgreSQL at 127.0.0.1:5432)', () => undefined);
}

/** Every run (and every schema test) gets its own schema, dropped at the end: the database is shared. */
function postgresTests(url: string): void {
  const admin = new pg.Client({ connectionString: url });
  const schemas: string[] = [];
  const freshSchema = async (): Promise<string> => {
    const schema = `ws_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    return schema;
  };
  before(async () => {
    await admin.connect();
  });
  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  let contractSchema = '';
  before(async () => {
    contractSchema = await freshSchema();
  });
  eventLogStorageContract('postgres', () => PostgresEventLogStorage.open({ url, schema: contractSchema }));

  describe('postgres board schema', () => {
    it('migrates a fresh schema once when two storages open it at once, and not again on reopening', async () => {
      const schema = await freshSchema();
      const [a, b] = await Promise.all([PostgresEventLogStorage.open({ url, schema }), PostgresEventLogStorage.open({ url, schema })]);
      await Promise.all([a.close(), b.close()]);
      const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
      try {
        assert.deepEqual(await readPostgresSchemaVersions(pool), postgresBoardMigrations.map((m) => m.version));
        assert.deepEqual(await applyPostgresMigrations(pool), []);
        const tables = await pool.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
          [schema],
        );
        const expected = ['board_batches', 'board_boards', 'board_elements', 'board_events', 'board_schema_version', 'board_snapshots'];
        assert.deepEqual(tables.rows.map((row) => row.table_name), expected);
      } finally {
        await pool.end();
      }
    });

    it('refuses a schema that is newer than this code', async () => {
      const schema = await freshSchema();
      await (await PostgresEventLogStorage.open({ url, schema })).close();
      await admin.query(`INSERT INTO ${schema}.${postgresBoardVersionTable} (version, name, applied_at) VALUES ($1, $2, $3)`, [
        postgresBoardMigrations.length + 1,
        'from the future',
        0,
      ]);
      await assert.rejects(PostgresEventLogStorage.open({ url, schema }), /newer than this wiresocket knows/);
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await assert.rejects(PostgresEventLogStorage.open({ url, schema: 'x; DROP TABLE y' }), /not a valid schema name/);
    });
  });

  describe('createEventLogStorage on PostgreSQL', () => {
    it('opens PostgreSQL for postgres:// and postgresql:// URLs (a schema through the URL options)', async () => {
      const schema = await freshSchema();
      const query = `?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      for (const storageUrl of [`${url}${query}`, `${url.replace('postgres://', 'postgresql://')}${query}`]) {
        const storage = await createEventLogStorage({ url: storageUrl });
        try {
          assert.ok(storage instanceof PostgresEventLogStorage);
          await storage.ping();
        } finally {
          await storage.close();
        }
      }
      const versions = await admin.query(`SELECT version FROM ${schema}.${postgresBoardVersionTable}`);
      assert.equal(versions.rows.length, postgresBoardMigrations.length);
    });
  });
}
