import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { jwtPattern, runCli, startServe, useTempDataDir } from './cliProcess.js';

const postgres = await postgresGate();

describe('STORE-1: serve and the CLI on a PostgreSQL control store (--db-url postgres://)', { skip: postgres.skip }, () => {
  let dataDir = '';
  let storeUrl = '';
  let schemas: PostgresSchemas | null = null;
  let probe: pg.Client | null = null;
  useTempDataDir(async (made) => {
    dataDir = made;
    postgres.assertAvailable();
    schemas = new PostgresSchemas(postgres.url ?? '');
    // Its own schema: the `test` database is shared by parallel test files.
    const schema = await schemas.fresh();
    storeUrl = urlWithSchema(postgres.url ?? '', schema);
    probe = new pg.Client({ connectionString: storeUrl });
    await probe.connect();
  });
  after(async () => {
    await probe?.end();
    await schemas?.dropAll();
  });
  const cli = (...args: string[]) => runCli([...args, '--db-url', storeUrl, '--data-dir', dataDir]);
  const rows = async (sql: string) => (await probe!.query(sql)).rows;

  it('STORE-1/OPS-6: tenants, apps and token on PostgreSQL; a stock y-websocket client is served and its routing row is in PostgreSQL', async () => {
    assert.equal((await cli('tenants', 'create', 'acme', '--max-documents', '3')).code, 0);
    const app = await cli('apps', 'create', 'acme/web');
    assert.equal(app.code, 0, app.stderr);
    assert.match(app.stdout, /^secret: [\w-]+$/m);
    const token = (await cli('token', 'acme/web', '--user', 'alice')).stdout.trim();
    assert.match(token, jwtPattern);

    const serve = await startServe(['--db-url', storeUrl, '--data-dir', dataDir, '--log-level', 'warn']);
    const a = connectClient(serve.url, 'pg-doc', { token });
    const b = connectClient(serve.url, 'pg-doc', { token });
    try {
      await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
      a.doc.getText('t').insert(0, 'routed through PostgreSQL');
      await eventually(() => b.doc.getText('t').toString() === 'routed through PostgreSQL');
      assert.deepEqual(await rows('SELECT doc_key, tenant_id, region FROM document_routing'), [{ doc_key: 'acme::web::pg-doc', tenant_id: 'acme', region: 'local' }]);
      assert.deepEqual(await rows("SELECT count(*)::int AS n FROM active_sessions WHERE doc_key = 'acme::web::pg-doc'"), [{ n: 2 }]);
      assert.equal((await rows('SELECT node_id FROM nodes')).length, 1, 'the node heartbeats into PostgreSQL');
      const list = await cli('tenants', 'list');
      assert.match(list.stdout, /^acme\tmaxDocuments=3\tliveDocuments=1$/m, 'the CLI sees the running server\'s pin');
    } finally {
      destroyAll([a.provider, b.provider]);
    }
    assert.equal((await serve.stop()).code, 0, serve.stderr());
    assert.deepEqual(await rows('SELECT doc_key FROM document_routing'), [], 'the shutdown unpinned the document');
    assert.deepEqual(await rows('SELECT node_id FROM nodes'), [], 'and removed the node');
  });

  it('STORE-1: a libSQL token beside a postgres:// --db-url stops with a message naming the flag', async () => {
    const result = await cli('tenants', 'list', '--db-auth-token', 'x');
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--db-auth-token \(WIRESOCKET_DB_AUTH_TOKEN\) is for libSQL\/Turso/);
  });
});
