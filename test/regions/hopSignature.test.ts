import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hopLifetimeMs, signHop, verifyHop } from '../../src/regions/hopSignature.js';

const secret = 's'.repeat(32);
const docKey = 'acme::editor::doc';
const now = 1_700_000_000_000;

describe('hop signature (issue 15)', () => {
  it('REGION-4: a hop verifies for its document, epoch and expiry under the same secret', () => {
    const header = signHop({ docKey, epoch: 3, expiresAt: now + hopLifetimeMs }, secret);
    assert.deepEqual(verifyHop(header, docKey, secret, now), { kind: 'valid', epoch: 3 });
  });

  it('REGION-4: another document, another secret, a changed epoch or expiry, or junk is refused', () => {
    const header = signHop({ docKey, epoch: 3, expiresAt: now + hopLifetimeMs }, secret);
    assert.deepEqual(verifyHop(header, 'acme::editor::other', secret, now), { kind: 'invalid', reason: 'bad signature' });
    assert.deepEqual(verifyHop(header, docKey, 't'.repeat(32), now), { kind: 'invalid', reason: 'bad signature' });
    const [version, , expiresAt, mac] = header.split('.');
    assert.deepEqual(verifyHop([version, '4', expiresAt, mac].join('.'), docKey, secret, now), { kind: 'invalid', reason: 'bad signature' });
    assert.deepEqual(verifyHop([version, '3', String(now + 5 * hopLifetimeMs), mac].join('.'), docKey, secret, now), { kind: 'invalid', reason: 'bad signature' });
    for (const junk of ['', 'v1', 'v2.3.1.x', 'v1.-1.5.x', 'v1.3.abc.x', 'v1.3.1.x.y']) {
      assert.equal(verifyHop(junk, docKey, secret, now).kind, 'invalid', junk);
    }
  });

  it('REGION-4: an expired hop, or one expiring implausibly late, is refused', () => {
    assert.deepEqual(verifyHop(signHop({ docKey, epoch: 1, expiresAt: now - 1 }, secret), docKey, secret, now), { kind: 'invalid', reason: 'expired' });
    assert.deepEqual(verifyHop(signHop({ docKey, epoch: 1, expiresAt: now + 3 * hopLifetimeMs }, secret), docKey, secret, now), {
      kind: 'invalid',
      reason: 'expiry too far ahead',
    });
  });
});
