import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openControlStores, openPostgresControlStores, type PostgresControlStores } from '../../src/routing/controlStores.js';
import { openPostgresControlDatabase } from '../../src/routing/postgresControlDatabase.js';
import { postgresControlMigrations, postgresControlTrack, postgresControlVersionTable } from '../../src/routing/postgresControlSchema.js';
import { applyPostgresMigrationTrack, readPostgresTrackVersions } from '../../src/routing/postgresMigrations.js';
import { PostgresRoutingTable } from '../../src/routing/postgresRoutingTable.js';
import type { PinResult, RoutingOperation } from '../../src/routing/routingTable.js';
import { PostgresEventLogStorage } from '../../src/storage/postgresEventLogStorage.js';
import { startPinningChild } from '../helpers/pinningChild.js';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { countKinds, routeFor, routingTableContract } from './routingTableContract.js';

const postgres = await postgresGate();

if (postgres.url === null) {
  it('PostgreSQL routing store tests (127.0.0.1:5432, database test)', { skip: postgres.skip }, () => postgres.assertAvailable());
} else {
  postgresRoutingTests(postgres.url);
}

/** Every store gets its own schema (the `test` database is shared by parallel test files). */
function postgresRoutingTests(url: string): void {
  const schemas = new PostgresSchemas(url);
  after(() => schemas.dropAll());
  const freshStores = async (): Promise<PostgresControlStores> => openPostgresControlStores({ url, schema: await schemas.fresh() });

  routingTableContract('STORE-1: postgres', freshStores);

  describe('postgres routing table', () => {
    it('stamps pinned_at and heartbeat_at from its clock, and upserts the node row', async () => {
      const stores = await freshStores();
      try {
        let now = 1234;
        const routing = new PostgresRoutingTable(stores.database, () => now);
        await stores.tenants.createTenant({ tenantId: 'clocked', maxDocuments: 1 });
        const pinned = await routing.pinDocument(routeFor('clocked', 'doc'));
        assert.ok(pinned.kind === 'pinned');
        assert.equal(pinned.route.pinnedAt, 1234);
        await routing.heartbeat({ nodeId: 'n1', region: 'eu', url: 'ws://old' });
        now = 2000;
        await routing.heartbeat({ nodeId: 'n1', region: 'us', url: 'ws://new' });
        const rows = await stores.database.pool.query('SELECT region, url, heartbeat_at FROM nodes');
        assert.deepEqual(rows.rows, [{ region: 'us', url: 'ws://new', heartbeat_at: '2000' }]);
      } finally {
        await stores.close();
      }
    });

    it('never deadlocks when batches pin the same tenants in opposite orders', async () => {
      const stores = await freshStores();
      try {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 100 });
        await stores.tenants.createTenant({ tenantId: 't2', maxDocuments: 100 });
        const batch = (i: number): RoutingOperation[] => {
          const pins: RoutingOperation[] = [
            { kind: 'pin', route: routeFor('t1', `a${i}`) },
            { kind: 'pin', route: routeFor('t2', `b${i}`) },
          ];
          return i % 2 === 0 ? pins : pins.reverse();
        };
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => stores.routing.runBatch(batch(i))));
        assert.equal(results.flat().length, 60);
        assert.deepEqual([await stores.routing.countTenantDocuments('t1'), await stores.routing.countTenantDocuments('t2')], [30, 30]);
      } finally {
        await stores.close();
      }
    });

    it('an unpin racing an add of a connection waits for it and then sees it (never neither)', async () => {
      const schema = await schemas.fresh();
      const stores = await openPostgresControlStores({ url, schema });
      const other = new pg.Client({ connectionString: urlWithSchema(url, schema) });
      await other.connect();
      try {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 5 });
        const { docKey } = routeFor('t1', 'doc');
        await stores.routing.pinDocument(routeFor('t1', 'doc'));
        // Another node's add, its transaction still open.
        await other.query('BEGIN');
        await other.query("SELECT * FROM routing_run_batch(ARRAY['add-connection'], ARRAY['c1'], ARRAY[$1], ARRAY['node-b'], ARRAY['u'], 1)", [docKey]);
        let settled = false;
        const unpin = stores.routing.unpinIfUnused(docKey).finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(settled, false, 'the unpin waits on the route row the add holds');
        await other.query('COMMIT');
        assert.equal(await unpin, false, 'the committed connection keeps the document pinned');
        assert.notEqual(await stores.routing.getRoute(docKey), null);
      } finally {
        await other.end();
        await stores.close();
      }
    });
  });

  describe('postgres quota across pools and processes', () => {
    it('stays exact when two pools (two nodes) pin concurrently', async () => {
      const schema = await schemas.fresh();
      const [a, b] = await Promise.all([openPostgresControlStores({ url, schema }), openPostgresControlStores({ url, schema })]);
      try {
        await a.tenants.createTenant({ tenantId: 't1', maxDocuments: 10 });
        const pins: Promise<PinResult>[] = [];
        for (let i = 0; i < 25; i += 1) {
          pins.push(a.routing.pinDocument(routeFor('t1', `a-${i}`, 'node-a')));
          pins.push(b.routing.pinDocument(routeFor('t1', `b-${i}`, 'node-b')));
          pins.push(b.routing.pinDocument(routeFor('t1', `a-${i}`, 'node-b')));
        }
        const counts = countKinds(await Promise.all(pins));
        assert.equal(counts.pinned, 10);
        assert.equal(counts.pinned + counts.existing + counts['quota-exceeded'], 75);
        assert.equal(await b.routing.countTenantDocuments('t1'), 10);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('stays exact when a child process pins concurrently with this one', async () => {
      const schema = await schemas.fresh();
      const pinsPerProcess = 150;
      const maxDocuments = 100;
      const parent = await openPostgresControlStores({ url, schema });
      const child = startPinningChild(urlWithSchema(url, schema), pinsPerProcess);
      try {
        await child.ready;
        await parent.tenants.createTenant({ tenantId: 't1', maxDocuments });
        child.go();
        const parentResults = await Promise.all(Array.from({ length: pinsPerProcess }, (_, i) => parent.routing.pinDocument(routeFor('t1', `parent-${i}`))));
        const counts = countKinds([...parentResults, ...(await child.result)]);
        assert.equal(counts.pinned, maxDocuments);
        assert.equal(counts['quota-exceeded'], 2 * pinsPerProcess - maxDocuments);
        assert.equal(await parent.routing.countTenantDocuments('t1'), maxDocuments);
      } finally {
        child.kill();
        await parent.close();
      }
    });
  });

  describe('postgres control schema', () => {
    it('migrates a fresh schema once when two nodes open it at once, beside the board schema', async () => {
      const schema = await schemas.fresh();
      const [a, b, boards] = await Promise.all([
        openPostgresControlDatabase({ url, schema }),
        openPostgresControlDatabase({ url, schema }),
        PostgresEventLogStorage.open({ url, schema }),
      ]);
      try {
        assert.deepEqual(await readPostgresTrackVersions(a.pool, postgresControlTrack), postgresControlMigrations.map((m) => m.version));
        assert.deepEqual(await applyPostgresMigrationTrack(b.pool, postgresControlTrack), []);
        const tables = await a.pool.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT LIKE 'board%' ORDER BY table_name",
          [schema],
        );
        const expected = ['active_sessions', 'admin_keys', 'apps', postgresControlVersionTable, 'document_epochs', 'document_routing', 'key_rotations', 'nodes', 'tenants', 'webhook_deliveries', 'webhook_endpoints', 'webhook_events'];
        assert.deepEqual(tables.rows.map((row) => row.table_name), expected);
      } finally {
        await Promise.all([a.close(), b.close(), boards.close()]);
      }
    });

    it('refuses a schema that is newer than this code', async () => {
      const schema = await schemas.fresh();
      const database = await openPostgresControlDatabase({ url, schema });
      await database.pool.query(`INSERT INTO ${postgresControlVersionTable} (version, name, applied_at) VALUES ($1, 'from the future', 0)`, [
        postgresControlMigrations.length + 1,
      ]);
      await database.close();
      await assert.rejects(openPostgresControlDatabase({ url, schema }), /control schema is at version \d+, newer than this wiresocket knows/);
    });

    it('openControlStores picks PostgreSQL for postgres:// and postgresql:// URLs (a schema through the URL options)', async () => {
      const schema = await schemas.fresh();
      for (const storeUrl of [urlWithSchema(url, schema), urlWithSchema(url.replace('postgres://', 'postgresql://'), schema)]) {
        const stores = await openControlStores({ url: storeUrl });
        try {
          assert.equal(stores.kind, 'postgres');
          await stores.routing.ping();
        } finally {
          await stores.close();
        }
      }
      await assert.rejects(openControlStores({ url: urlWithSchema(url, schema), authToken: 'x' }), /auth token is for libSQL\/Turso/);
    });
  });
}
