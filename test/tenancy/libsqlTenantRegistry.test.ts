import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLibsqlDatabase } from '../../src/routing/libsqlDatabase.js';
import { LibsqlTenantRegistry } from '../../src/tenancy/libsqlTenantRegistry.js';
import { tenantRegistryContract, type TenantStores } from './tenantRegistryContract.js';

let dir = '';
let fileCount = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wiresocket-tenancy-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openRegistry(url: string): Promise<TenantStores & { registry: LibsqlTenantRegistry }> {
  const database = await openLibsqlDatabase({ url });
  const registry = new LibsqlTenantRegistry(database);
  return { tenants: registry, registry, close: () => database.close() };
}

tenantRegistryContract('libsql file', () => {
  fileCount += 1;
  return openRegistry(`file:${join(dir, `tenants-${fileCount}.db`)}`);
});
tenantRegistryContract('libsql :memory:', () => openRegistry(':memory:'));

describe('libsql tenant registry', () => {
  it('refuses to hand out a stored key it cannot read', async () => {
    const database = await openLibsqlDatabase({ url: ':memory:' });
    try {
      await database.client.execute({
        sql: 'INSERT INTO apps (tenant_id, app_id, key_kind, key_algorithm, key_material, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        args: ['acme', 'web', 'public-key', 'none', 'x', 1],
      });
      const registry = new LibsqlTenantRegistry(database);
      await assert.rejects(registry.getApp('acme', 'web'), /unknown kind\/algorithm/);
    } finally {
      await database.close();
    }
  });

  it('sees tenants created by another client on the same file', async () => {
    const url = `file:${join(dir, 'shared.db')}`;
    const writer = await openRegistry(url);
    const reader = await openRegistry(url);
    try {
      await writer.tenants.createTenant({ tenantId: 'acme', maxDocuments: 2 });
      assert.deepEqual(await reader.tenants.getTenant('acme'), { tenantId: 'acme', maxDocuments: 2 });
      await assert.rejects(reader.tenants.createTenant({ tenantId: 'acme', maxDocuments: 2 }), /already exists/);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
