import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLibsqlControlStores, type LibsqlControlStores } from '../../src/routing/controlStores.js';
import { createClient } from '@libsql/client';
import { busyTimeoutMs, databaseKind, filePathOfUrl, openLibsqlDatabase } from '../../src/routing/libsqlDatabase.js';
import { LibsqlRoutingTable } from '../../src/routing/libsqlRoutingTable.js';
import type { PinResult } from '../../src/routing/routingTable.js';
import { applyMigrations, migrations, readSchemaVersions } from '../../src/routing/schema.js';
import { startPinningChild } from '../helpers/pinningChild.js';
import { countKinds, routeFor, routingTableContract } from './routingTableContract.js';

let dir = '';
let fileCount = 0;

/** A `file:` URL of a database that does not exist yet, under this file's temp dir. */
function freshFileUrl(subdir = ''): string {
  fileCount += 1;
  return `file:${join(dir, subdir, `control-${fileCount}.db`)}`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wiresocket-routing-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

routingTableContract('libsql file', () => openLibsqlControlStores({ url: freshFileUrl() }));
routingTableContract('libsql file, commits not synced (as serve opens it)', () => openLibsqlControlStores({ url: freshFileUrl(), commitSync: 'normal' }));
routingTableContract('libsql :memory:', () => openLibsqlControlStores({ url: ':memory:' }));
routingTableContract('libsql file::memory:', () => openLibsqlControlStores({ url: 'file::memory:' }));

describe('libsql database', () => {
  it('creates missing parent directories and sets WAL and the busy timeout', async () => {
    const url = freshFileUrl(join('nested', 'deeper'));
    const database = await openLibsqlDatabase({ url });
    try {
      assert.ok((await stat(join(dir, 'nested', 'deeper'))).isDirectory());
      const mode = await database.client.execute('PRAGMA journal_mode');
      assert.equal(String(mode.rows[0]?.journal_mode).toLowerCase(), 'wal');
      // Several at once so that more than one pooled connection answers.
      const timeouts = await Promise.all([1, 2, 3].map(() => database.client.execute('PRAGMA busy_timeout')));
      for (const result of timeouts) assert.equal(Number(result.rows[0]?.[0]), busyTimeoutMs);
    } finally {
      await database.close();
    }
  });

  it("syncs every commit by default, and only at checkpoints with commitSync 'normal', on every connection", async () => {
    const synchronousOf = async (database: Awaited<ReturnType<typeof openLibsqlDatabase>>) => {
      // Many at once: a pool of several connections would open new ones here, on SQLite's default.
      const results = await Promise.all(Array.from({ length: 8 }, () => database.client.execute('PRAGMA synchronous')));
      return [...new Set(results.map((result) => Number(result.rows[0]?.[0])))];
    };
    const full = await openLibsqlDatabase({ url: freshFileUrl() });
    const normal = await openLibsqlDatabase({ url: freshFileUrl(), commitSync: 'normal' });
    try {
      assert.deepEqual(await synchronousOf(full), [2], 'FULL');
      assert.deepEqual(await synchronousOf(normal), [1], 'NORMAL');
      const mode = await normal.client.execute('PRAGMA journal_mode');
      assert.equal(String(mode.rows[0]?.journal_mode).toLowerCase(), 'wal', 'NORMAL is safe only with WAL');
      await normal.client.batch(Array.from({ length: 20 }, (_, i) => ({ sql: 'INSERT INTO tenants (tenant_id, max_documents, created_at) VALUES (?, 1, 0)', args: [`t${i}`] })), 'write');
      const count = await Promise.all(Array.from({ length: 4 }, () => normal.client.execute('SELECT COUNT(*) AS n FROM tenants')));
      for (const result of count) assert.equal(Number(result.rows[0]?.n), 20);
    } finally {
      await full.close();
      await normal.close();
    }
  });

  it('records every migration version once, in order', async () => {
    assert.deepEqual(
      migrations.map((migration) => migration.version),
      migrations.map((_, index) => index + 1),
    );
    const database = await openLibsqlDatabase({ url: ':memory:' });
    try {
      assert.deepEqual(await readSchemaVersions(database.client), migrations.map((migration) => migration.version));
      assert.deepEqual(await applyMigrations(database.client), []);
    } finally {
      await database.close();
    }
  });

  it('reopens an existing file without re-running migrations or losing data', async () => {
    const url = freshFileUrl();
    const first = await openLibsqlControlStores({ url });
    await first.tenants.createTenant({ tenantId: 't1', maxDocuments: 3 });
    await first.close();
    const second = await openLibsqlControlStores({ url });
    try {
      assert.deepEqual(await second.tenants.getTenant('t1'), { tenantId: 't1', maxDocuments: 3 });
      assert.deepEqual(await readSchemaVersions(second.database.client), migrations.map((m) => m.version));
    } finally {
      await second.close();
    }
  });

  it('lets two clients open the same fresh file at once and migrates it once', async () => {
    const url = freshFileUrl();
    const [a, b] = await Promise.all([openLibsqlDatabase({ url }), openLibsqlDatabase({ url })]);
    try {
      const versions = await a.client.execute('SELECT version FROM schema_version');
      assert.equal(versions.rows.length, migrations.length);
      assert.deepEqual(await readSchemaVersions(b.client), migrations.map((m) => m.version));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('applies a migration in exactly one of two racing clients', async () => {
    const url = freshFileUrl();
    const clients = [createClient({ url, timeout: busyTimeoutMs }), createClient({ url, timeout: busyTimeoutMs })];
    try {
      const applied = await Promise.all(clients.map((client) => applyMigrations(client)));
      const all = migrations.map((m) => m.version);
      assert.deepEqual(applied.flat().sort((x, y) => x - y), all);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('tells file, memory and remote URLs apart and finds the file path', () => {
    assert.equal(databaseKind(':memory:'), 'memory');
    assert.equal(databaseKind('file::memory:?cache=private'), 'memory');
    assert.equal(databaseKind('file:./.wiresocket/wiresocket.db'), 'file');
    assert.equal(databaseKind('libsql://db.example.turso.io'), 'remote');
    assert.equal(databaseKind('http://127.0.0.1:8080'), 'remote');
    assert.equal(filePathOfUrl('file:./.wiresocket/wiresocket.db'), './.wiresocket/wiresocket.db');
    assert.equal(filePathOfUrl('file:/var/lib/ws.db'), '/var/lib/ws.db');
    assert.equal(filePathOfUrl('file:///var/lib/ws.db'), '/var/lib/ws.db');
    assert.equal(filePathOfUrl('file://localhost/var/lib/my%20ws.db?mode=rw'), '/var/lib/my ws.db');
    assert.throws(() => filePathOfUrl('file:'), /names no file/);
  });

  it('refuses a database whose schema is newer than this code', async () => {
    const url = freshFileUrl();
    const database = await openLibsqlDatabase({ url });
    await database.client.execute({
      sql: 'INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)',
      args: [migrations.length + 1, 'from the future', Date.now()],
    });
    await database.close();
    await assert.rejects(openLibsqlDatabase({ url }), /newer than this wiresocket knows/);
  });

  it('closes idempotently', async () => {
    const database = await openLibsqlDatabase({ url: ':memory:' });
    await database.close();
    await database.close();
    assert.equal(database.closed, true);
  });
});

describe('libsql routing table', () => {
  let stores: LibsqlControlStores;
  before(async () => {
    stores = await openLibsqlControlStores({ url: freshFileUrl() });
  });
  after(async () => {
    await stores.close();
  });

  it('stamps pinned_at from its clock', async () => {
    await stores.tenants.createTenant({ tenantId: 'clocked', maxDocuments: 1 });
    const routing = new LibsqlRoutingTable(stores.database, () => 1234);
    const result = await routing.pinDocument(routeFor('clocked', 'doc'));
    assert.ok(result.kind === 'pinned');
    assert.equal(result.route.pinnedAt, 1234);
  });

  it('upserts the node row on every heartbeat', async () => {
    let now = 100;
    const routing = new LibsqlRoutingTable(stores.database, () => now);
    await routing.heartbeat({ nodeId: 'n1', region: 'eu', url: 'ws://old' });
    now = 200;
    await routing.heartbeat({ nodeId: 'n1', region: 'us', url: 'ws://new' });
    const rows = await stores.database.client.execute({ sql: 'SELECT * FROM nodes WHERE node_id = ?', args: ['n1'] });
    assert.deepEqual(
      rows.rows.map((row) => ({ region: row.region, url: row.url, heartbeatAt: row.heartbeat_at })),
      [{ region: 'us', url: 'ws://new', heartbeatAt: 200 }],
    );
    await routing.removeNode('n1');
    const left = await stores.database.client.execute({ sql: 'SELECT COUNT(*) AS n FROM nodes WHERE node_id = ?', args: ['n1'] });
    assert.equal(left.rows[0]?.n, 0);
  });
});

describe('libsql quota across clients and processes', () => {
  it('stays exact when two clients on one file pin concurrently', async () => {
    const url = freshFileUrl();
    const [a, b] = await Promise.all([openLibsqlControlStores({ url }), openLibsqlControlStores({ url })]);
    try {
      await a.tenants.createTenant({ tenantId: 't1', maxDocuments: 10 });
      const pins: Promise<PinResult>[] = [];
      for (let i = 0; i < 25; i += 1) {
        pins.push(a.routing.pinDocument(routeFor('t1', `a-${i}`, 'node-a')));
        pins.push(b.routing.pinDocument(routeFor('t1', `b-${i}`, 'node-b')));
      }
      assert.deepEqual(countKinds(await Promise.all(pins)), { pinned: 10, existing: 0, 'quota-exceeded': 40, 'unknown-tenant': 0 });
      assert.equal(await a.routing.countTenantDocuments('t1'), 10);
      assert.equal(await b.routing.countTenantDocuments('t1'), 10);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('stays exact when a child process pins concurrently with this one', async () => {
    const url = freshFileUrl();
    const pinsPerProcess = 150;
    const maxDocuments = 100;
    // Both processes open the fresh file at the same time: the migration race is part of the test.
    const child = startPinningChild(url, pinsPerProcess);
    const parent = await openLibsqlControlStores({ url });
    try {
      await child.ready;
      await parent.tenants.createTenant({ tenantId: 't1', maxDocuments });
      child.go();
      const pins = Array.from({ length: pinsPerProcess }, (_, i) => parent.routing.pinDocument(routeFor('t1', `parent-${i}`)));
      const parentResults = await Promise.all(pins);
      const childResults = await child.result;
      const counts = countKinds([...parentResults, ...childResults]);
      assert.equal(counts.pinned, maxDocuments);
      assert.equal(counts['quota-exceeded'], 2 * pinsPerProcess - maxDocuments);
      assert.equal(await parent.routing.countTenantDocuments('t1'), maxDocuments);
    } finally {
      child.kill();
      await parent.close();
    }
  });
});
