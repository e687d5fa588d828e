import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdminKeyStore } from '../../src/admin/index.js';

export interface OpenedAdminKeys {
  /** Two stores on one database, as two processes (a server and the CLI) would open it. */
  first: AdminKeyStore;
  second: AdminKeyStore;
  /** The app keys in the same database, to prove the admin key is none of them. */
  appSecrets(): Promise<string[]>;
  close(): Promise<void>;
}

/** The AdminKeyStore contract, run for every control store adapter. */
export function adminKeyStoreContract(label: string, open: () => Promise<OpenedAdminKeys>): void {
  describe(`admin key store (${label})`, () => {
    it('ADMIN-1: the first use creates the key; concurrent first uses agree on one; it is no app key', async () => {
      const stores = await open();
      try {
        const keys = await Promise.all([stores.first.currentKey(), stores.second.currentKey(), stores.first.currentKey()]);
        assert.equal(keys[0]!.version, 1);
        assert.ok(Buffer.from(keys[0]!.secret, 'base64url').length >= 32);
        for (const key of keys) assert.deepEqual(key, keys[0]);
        assert.deepEqual(await stores.second.currentKey(), keys[0]);
        assert.ok(!(await stores.appSecrets()).includes(keys[0]!.secret));
      } finally {
        await stores.close();
      }
    });

    it('ADMIN-1: a rotation makes the next version the current key for every process', async () => {
      const stores = await open();
      try {
        const before = await stores.first.currentKey();
        const rotated = await stores.second.rotateKey();
        assert.equal(rotated.version, before.version + 1);
        assert.notEqual(rotated.secret, before.secret);
        assert.deepEqual(await stores.first.currentKey(), rotated);
      } finally {
        await stores.close();
      }
    });
  });
}
