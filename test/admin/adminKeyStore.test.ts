import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { adminStoresOf } from '../../src/admin/index.js';
import { openControlStores } from '../../src/routing/index.js';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { adminKeyStoreContract, type OpenedAdminKeys } from './adminKeyStoreContract.js';

/** Two control stores on one database (the migration runs on the first open), with an app in it. */
async function openPair(url: string, cleanup: () => Promise<void> = async () => undefined): Promise<OpenedAdminKeys> {
  const first = await openControlStores({ url });
  const second = await openControlStores({ url });
  await first.tenants.createTenant({ tenantId: 'acme', maxDocuments: 5 });
  await first.tenants.createApp({ tenantId: 'acme', appId: 'web', key: { kind: 'hs256-secret', secret: 'x'.repeat(43) }, createdAt: 1 });
  return {
    first: adminStoresOf(first).keys,
    second: adminStoresOf(second).keys,
    appSecrets: async () => (await first.tenants.listApps()).map((app) => (app.key.kind === 'hs256-secret' ? app.key.secret : app.key.pem)),
    close: async () => {
      await Promise.all([first.close(), second.close()]);
      await cleanup();
    },
  };
}

adminKeyStoreContract('libSQL file, control store migration 6', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-admin-keys-'));
  return openPair(`file:${path.join(dir, 'control.db')}`, () => rm(dir, { recursive: true, force: true }));
});

const postgres = await postgresGate();
if (postgres.url === null) {
  it('ADMIN-1: PostgreSQL admin key store (127.0.0.1:5432, database test)', { skip: postgres.skip }, () => postgres.assertAvailable());
} else {
  const schemas = new PostgresSchemas(postgres.url);
  after(() => schemas.dropAll());
  const url = postgres.url;
  adminKeyStoreContract('PostgreSQL, control schema migration 5', async () => openPair(urlWithSchema(url, await schemas.fresh())));
}
