import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { adminStoresOf, AdminVerifier } from '../../src/admin/index.js';
import { openControlStores } from '../../src/routing/index.js';
import { runCli } from '../cli/cliProcess.js';

describe('wiresocket admin', () => {
  it('ADMIN-11: `admin token [--user] [--ttl]` prints only an admin token signed with the key the store created; a bad --ttl is a usage error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-admin-cli-'));
    try {
      const printed = await runCli(['admin', 'token', '--data-dir', dir, '--user', 'ops-1', '--ttl', '15m']);
      assert.equal(printed.code, 0, printed.stderr);
      assert.match(printed.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const token = printed.stdout.trim();
      const claims = decodeJwt(token);
      assert.equal(claims.sub, 'ops-1');
      assert.equal((claims.exp as number) - (claims.iat as number), 900);
      assert.ok(!('tenantId' in claims) && !('appId' in claims));
      assert.equal(decodeProtectedHeader(token).kid, 'wiresocket-admin/1');

      const stores = await openControlStores({ url: `file:${path.join(dir, 'wiresocket.db')}` });
      try {
        const verifier = new AdminVerifier({ keys: adminStoresOf(stores).keys });
        assert.equal((await verifier.verify(token)).subject, 'ops-1');
        const again = await runCli(['admin', 'token', '--data-dir', dir]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((await verifier.verify(again.stdout.trim())).subject.length > 0, true, 'the same key signs the next token');

        const rotated = await runCli(['admin', 'rotate-key', '--data-dir', dir]);
        assert.equal(rotated.code, 0, rotated.stderr);
        assert.match(rotated.stdout, /version 2/);
        const fresh = new AdminVerifier({ keys: adminStoresOf(stores).keys });
        await assert.rejects(fresh.verify(token), { code: 'TOKEN_KEY_ROTATED' });
      } finally {
        await stores.close();
      }

      const bad = await runCli(['admin', 'token', '--data-dir', dir, '--ttl', 'soon']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--ttl/);
      const unknown = await runCli(['admin', 'token', '--data-dir', dir, '--docs', 'x']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown option --docs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
