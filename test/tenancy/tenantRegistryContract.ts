import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppRecord, TenantRegistry } from '../../src/tenancy/tenantRegistry.js';

export interface TenantStores {
  tenants: TenantRegistry;
  close(): Promise<void>;
}

// Placeholder key text: the registry stores and returns it, never parses it.
const publicKeyPem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAplaceholderplaceholderplaceholder0=\n-----END PUBLIC KEY-----\n';

const hsApp: AppRecord = { tenantId: 'acme', appId: 'web', key: { kind: 'hs256-secret', secret: 's3cret-value' }, createdAt: 1_700_000_000_000, keyVersion: 1 };
const pkApp: AppRecord = {
  tenantId: 'acme',
  appId: 'mobile',
  key: { kind: 'public-key', algorithm: 'EdDSA', pem: publicKeyPem },
  createdAt: 1_700_000_000_001,
  keyVersion: 1,
};

/** The behaviour every TenantRegistry adapter shares; fresh stores per test. */
export function tenantRegistryContract(name: string, factory: () => Promise<TenantStores>): void {
  describe(`TenantRegistry contract: ${name}`, () => {
    let stores: TenantStores;
    let tenants: TenantRegistry;

    beforeEach(async () => {
      stores = await factory();
      tenants = stores.tenants;
    });
    afterEach(async () => {
      await stores.close();
    });

    describe('tenants', () => {
      it('creates, gets and lists tenants (listed by id)', async () => {
        await tenants.createTenant({ tenantId: 'zeta', maxDocuments: 1 });
        await tenants.createTenant({ tenantId: 'acme', maxDocuments: 100 });
        assert.deepEqual(await tenants.getTenant('acme'), { tenantId: 'acme', maxDocuments: 100 });
        assert.equal(await tenants.getTenant('missing'), null);
        assert.deepEqual(await tenants.listTenants(), [
          { tenantId: 'acme', maxDocuments: 100 },
          { tenantId: 'zeta', maxDocuments: 1 },
        ]);
      });

      it('lists nothing when empty', async () => {
        assert.deepEqual(await tenants.listTenants(), []);
        assert.deepEqual(await tenants.listApps(), []);
      });

      it('refuses a duplicate tenant with a message naming it, keeping the original', async () => {
        await tenants.createTenant({ tenantId: 'acme', maxDocuments: 5 });
        await assert.rejects(tenants.createTenant({ tenantId: 'acme', maxDocuments: 9 }), /"acme" already exists/);
        assert.deepEqual(await tenants.getTenant('acme'), { tenantId: 'acme', maxDocuments: 5 });
      });

      it('refuses invalid tenant ids and maxDocuments', async () => {
        await assert.rejects(tenants.createTenant({ tenantId: 'a::b', maxDocuments: 1 }), /invalid tenant id "a::b"/);
        await assert.rejects(tenants.createTenant({ tenantId: '', maxDocuments: 1 }), /invalid tenant id/);
        await assert.rejects(tenants.createTenant({ tenantId: 'ok', maxDocuments: -1 }), /maxDocuments/);
        await assert.rejects(tenants.createTenant({ tenantId: 'ok', maxDocuments: 1.5 }), /maxDocuments/);
        assert.deepEqual(await tenants.listTenants(), []);
      });

      it('REGION-11: residency: created with, set, lifted and listed; invalid region names refused', async () => {
        await tenants.createTenant({ tenantId: 'eu', maxDocuments: 5, allowedRegions: ['eu-west', 'eu-central', 'eu-west'] });
        assert.deepEqual(await tenants.getTenant('eu'), { tenantId: 'eu', maxDocuments: 5, allowedRegions: ['eu-west', 'eu-central'] });
        await tenants.createTenant({ tenantId: 'anywhere', maxDocuments: 5 });
        assert.equal(await tenants.setAllowedRegions('anywhere', ['us']), true);
        assert.deepEqual(await tenants.listTenants(), [
          { tenantId: 'anywhere', maxDocuments: 5, allowedRegions: ['us'] },
          { tenantId: 'eu', maxDocuments: 5, allowedRegions: ['eu-west', 'eu-central'] },
        ]);
        assert.equal(await tenants.setAllowedRegions('anywhere', null), true);
        assert.deepEqual(await tenants.getTenant('anywhere'), { tenantId: 'anywhere', maxDocuments: 5 }, 'null lifts the limit');
        assert.equal(await tenants.setAllowedRegions('missing', ['us']), false);
        await assert.rejects(tenants.setAllowedRegions('eu', ['a,b']), /invalid region "a,b"/);
        await assert.rejects(tenants.setAllowedRegions('eu', []), /at least one region/);
        await assert.rejects(tenants.createTenant({ tenantId: 'bad', maxDocuments: 1, allowedRegions: ['no space'] }), /invalid region/);
        assert.deepEqual((await tenants.getTenant('eu'))?.allowedRegions, ['eu-west', 'eu-central'], 'a refused change changes nothing');
      });

      it('sets maxDocuments; false for an unknown tenant', async () => {
        await tenants.createTenant({ tenantId: 'acme', maxDocuments: 5 });
        assert.equal(await tenants.setMaxDocuments('acme', 50), true);
        assert.deepEqual(await tenants.getTenant('acme'), { tenantId: 'acme', maxDocuments: 50 });
        assert.equal(await tenants.setMaxDocuments('missing', 50), false);
        await assert.rejects(tenants.setMaxDocuments('acme', -3), /maxDocuments/);
      });
    });

    describe('apps', () => {
      beforeEach(async () => {
        await tenants.createTenant({ tenantId: 'acme', maxDocuments: 10 });
      });

      it('round-trips an HS256 secret and a public key', async () => {
        await tenants.createApp(hsApp);
        await tenants.createApp(pkApp);
        assert.deepEqual(await tenants.getApp('acme', 'web'), hsApp);
        assert.deepEqual(await tenants.getApp('acme', 'mobile'), pkApp);
        assert.equal(await tenants.getApp('acme', 'missing'), null);
        assert.equal(await tenants.getApp('other', 'web'), null);
      });

      it('requires the tenant to exist', async () => {
        await assert.rejects(tenants.createApp({ ...hsApp, tenantId: 'ghost' }), /tenant "ghost" does not exist/);
        assert.deepEqual(await tenants.listApps(), []);
      });

      it('refuses a duplicate app, keeping the original key', async () => {
        await tenants.createApp(hsApp);
        const again = { ...hsApp, key: { kind: 'hs256-secret', secret: 'other' } } as const;
        await assert.rejects(tenants.createApp(again), /app "web" already exists in tenant "acme"/);
        assert.deepEqual(await tenants.getApp('acme', 'web'), hsApp);
      });

      it('allows the same app id under two tenants', async () => {
        await tenants.createTenant({ tenantId: 'globex', maxDocuments: 1 });
        await tenants.createApp(hsApp);
        await tenants.createApp({ ...hsApp, tenantId: 'globex' });
        assert.equal((await tenants.getApp('globex', 'web'))?.tenantId, 'globex');
      });

      it('refuses invalid app ids and empty keys', async () => {
        await assert.rejects(tenants.createApp({ ...hsApp, appId: 'no spaces' }), /invalid app id "no spaces"/);
        await assert.rejects(tenants.createApp({ ...hsApp, key: { kind: 'hs256-secret', secret: '' } }), /secret/);
        await assert.rejects(tenants.createApp({ ...pkApp, key: { kind: 'public-key', algorithm: 'ES256', pem: '' } }), /PEM/);
        assert.deepEqual(await tenants.listApps(), []);
      });

      it('lists all apps, or one tenant\'s apps', async () => {
        await tenants.createTenant({ tenantId: 'globex', maxDocuments: 1 });
        const globexApp: AppRecord = { ...hsApp, tenantId: 'globex', appId: 'api' };
        await tenants.createApp(hsApp);
        await tenants.createApp(pkApp);
        await tenants.createApp(globexApp);
        assert.deepEqual(await tenants.listApps(), [pkApp, hsApp, globexApp]);
        assert.deepEqual(await tenants.listApps('acme'), [pkApp, hsApp]);
        assert.deepEqual(await tenants.listApps('globex'), [globexApp]);
        assert.deepEqual(await tenants.listApps('missing'), []);
      });
    });

    describe('key rotation (LIM-16)', () => {
      beforeEach(async () => {
        await tenants.createTenant({ tenantId: 'acme', maxDocuments: 10 });
        await tenants.createApp(hsApp);
        await tenants.createApp(pkApp);
      });

      it('LIM-16: rotate-key replaces the key, raises the version and logs the rotation in order', async () => {
        assert.equal(await tenants.latestKeyRotation(), 0);
        const rotated = await tenants.rotateAppKey('acme', 'web', { kind: 'hs256-secret', secret: 'new-secret' });
        assert.deepEqual(rotated, { ...hsApp, key: { kind: 'hs256-secret', secret: 'new-secret' }, keyVersion: 2 });
        assert.deepEqual(await tenants.getApp('acme', 'web'), rotated);
        await tenants.rotateAppKey('acme', 'mobile', { kind: 'hs256-secret', secret: 'mobile-secret' });
        await tenants.rotateAppKey('acme', 'web', { kind: 'hs256-secret', secret: 'newer' });
        const all = await tenants.keyRotationsSince(0);
        assert.deepEqual(all.map(({ appId, keyVersion }) => [appId, keyVersion]), [['web', 2], ['mobile', 2], ['web', 3]]);
        assert.ok(all[0].sequence < all[1].sequence && all[1].sequence < all[2].sequence);
        assert.deepEqual(await tenants.keyRotationsSince(all[1].sequence), [all[2]]);
        assert.equal(await tenants.latestKeyRotation(), all[2].sequence);
        assert.deepEqual(await tenants.getApp('acme', 'mobile'), { ...pkApp, key: { kind: 'hs256-secret', secret: 'mobile-secret' }, keyVersion: 2 });
      });

      it('LIM-16: rotating an unknown app changes nothing and logs nothing', async () => {
        assert.equal(await tenants.rotateAppKey('acme', 'ghost', { kind: 'hs256-secret', secret: 'x' }), null);
        assert.equal(await tenants.rotateAppKey('ghost', 'web', { kind: 'hs256-secret', secret: 'x' }), null);
        assert.deepEqual(await tenants.keyRotationsSince(0), []);
        assert.deepEqual(await tenants.getApp('acme', 'web'), hsApp);
      });
    });
  });
}
