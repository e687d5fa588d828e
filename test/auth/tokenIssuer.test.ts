import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { issueToken, parseTtl, type IssueTokenOptions } from '../../src/auth/index.js';

const secret = 'a-test-secret-that-is-32-bytes-long!';
const now = Date.UTC(2030, 0, 1, 12, 0, 0, 500);

const base: IssueTokenOptions = {
  tenantId: 'acme',
  appId: 'web',
  userId: 'user-1',
  ttlSeconds: 60,
  key: { kind: 'hs256-secret', secret },
  now,
};

describe('issueToken', () => {
  it('writes sub, tenantId, appId, iat and exp, and a kid naming the app', async () => {
    const token = await issueToken(base);
    const iat = Math.floor(now / 1000);
    assert.deepEqual(decodeJwt(token), { tenantId: 'acme', appId: 'web', sub: 'user-1', iat, exp: iat + 60 });
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT', kid: 'acme/web' });
  });

  it('writes docs and access only when given', async () => {
    const token = await issueToken({ ...base, docs: ['notes/*'], access: 'read-only' });
    const payload = decodeJwt(token);
    assert.deepEqual(payload.docs, ['notes/*']);
    assert.equal(payload.access, 'read-only');
  });

  it('signs with a private key under the algorithm the key fits', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const token = await issueToken({ ...base, key: { kind: 'private-key', pem } });
    assert.equal(decodeProtectedHeader(token).alg, 'ES384');
  });

  it('lets an RSA key sign PS256 but refuses an algorithm the key does not fit', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const pem = rsa.export({ type: 'pkcs1', format: 'pem' }).toString();
    const token = await issueToken({ ...base, key: { kind: 'private-key', pem, algorithm: 'PS256' } });
    assert.equal(decodeProtectedHeader(token).alg, 'PS256');
    await assert.rejects(
      issueToken({ ...base, key: { kind: 'private-key', pem, algorithm: 'ES256' } }),
      /RS256 key cannot sign ES256/,
    );
  });

  it('refuses options the verifier would refuse', async () => {
    await assert.rejects(issueToken({ ...base, tenantId: 'a::b' }), /invalid tenant id/);
    await assert.rejects(issueToken({ ...base, appId: '' }), /invalid app id/);
    await assert.rejects(issueToken({ ...base, userId: '' }), /user id/);
    await assert.rejects(issueToken({ ...base, ttlSeconds: 0 }), /ttlSeconds/);
    await assert.rejects(issueToken({ ...base, ttlSeconds: 1.5 }), /ttlSeconds/);
    await assert.rejects(issueToken({ ...base, docs: [''] }), /must not be empty/);
    await assert.rejects(issueToken({ ...base, key: { kind: 'hs256-secret', secret: 'short' } }), /at least 32 bytes/);
  });
});

describe('parseTtl', () => {
  it('reads seconds, minutes, hours and days', () => {
    assert.equal(parseTtl('30s'), 30);
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('1h'), 3600);
    assert.equal(parseTtl('24h'), 86_400);
    assert.equal(parseTtl('7d'), 604_800);
  });

  it('reads plain seconds', () => {
    assert.equal(parseTtl('3600'), 3600);
    assert.equal(parseTtl(' 45 '), 45);
  });

  it('refuses anything else, naming the accepted forms', () => {
    for (const text of ['', '0', '0s', '-5', '1.5h', '1w', 'h', '10 m', '1e3', 'abc', '99999999999999d']) {
      assert.throws(() => parseTtl(text), /30s, 15m, 1h, 24h, 7d/, `accepted ${JSON.stringify(text)}`);
    }
  });
});
