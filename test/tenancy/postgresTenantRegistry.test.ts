import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresControlDatabase } from '../../src/routing/postgresControlDatabase.js';
import { PostgresTenantRegistry } from '../../src/tenancy/postgresTenantRegistry.js';
import { postgresGate, PostgresSchemas } from '../helpers/postgresTestDatabase.js';
import { tenantRegistryContract, type TenantStores } from './tenantRegistryContract.js';

const postgres = await postgresGate();

if (postgres.url === null) {
  it('PostgreSQL tenant registry tests (127.0.0.1:5432, database test)', { skip: postgres.skip }, () => postgres.assertAvailable());
} else {
  postgresTenantTests(postgres.url);
}

/** Every registry gets its own schema (the `test` database is shared by parallel test files). */
function postgresTenantTests(url: string): void {
  const schemas = new PostgresSchemas(url);
  after(() => schemas.dropAll());
  const openRegistry = async (): Promise<TenantStores & { registry: PostgresTenantRegistry; query: (sql: string, values: unknown[]) => Promise<unknown> }> => {
    const database = await openPostgresControlDatabase({ url, schema: await schemas.fresh() });
    const registry = new PostgresTenantRegistry(database);
    return { tenants: registry, registry, query: (sql, values) => database.pool.query(sql, values), close: () => database.close() };
  };

  tenantRegistryContract('STORE-1: postgres', openRegistry);

  describe('postgres tenant registry', () => {
    it('refuses to hand out a stored key it cannot read', async () => {
      const stores = await openRegistry();
      try {
        await stores.query('INSERT INTO apps (tenant_id, app_id, key_kind, key_algorithm, key_material, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
          'acme', 'web', 'public-key', 'none', 'x', 1,
        ]);
        await assert.rejects(stores.tenants.getApp('acme', 'web'), /unknown kind\/algorithm/);
      } finally {
        await stores.close();
      }
    });

    it('LIM-16: concurrent rotations log one entry each, versions rising with the sequence', async () => {
      const stores = await openRegistry();
      try {
        await stores.tenants.createTenant({ tenantId: 'acme', maxDocuments: 1 });
        for (const appId of ['web', 'api']) {
          await stores.tenants.createApp({ tenantId: 'acme', appId, key: { kind: 'hs256-secret', secret: 's' }, createdAt: 1 });
        }
        await Promise.all(
          Array.from({ length: 12 }, (_, i) => stores.tenants.rotateAppKey('acme', i % 2 === 0 ? 'web' : 'api', { kind: 'hs256-secret', secret: `s${i}` })),
        );
        const rotations = await stores.tenants.keyRotationsSince(0);
        assert.equal(rotations.length, 12);
        for (const appId of ['web', 'api']) {
          assert.deepEqual(rotations.filter((r) => r.appId === appId).map((r) => r.keyVersion), [2, 3, 4, 5, 6, 7]);
        }
        assert.equal(await stores.tenants.latestKeyRotation(), rotations[11].sequence);
      } finally {
        await stores.close();
      }
    });
  });
}
