import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppKeyCache } from '../../src/auth/appKeyCache.js';
import { TokenVerifier, generateHs256Secret, issueToken } from '../../src/auth/index.js';
import { ManualClock } from '../helpers/manualClock.js';
import { MemoryAppStore } from './memoryAppStore.js';

function setup(keyCacheTtlMs?: number) {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const store = new MemoryAppStore();
  const secret = generateHs256Secret();
  store.setKey('acme', 'web', { kind: 'hs256-secret', secret });
  const verifier = new TokenVerifier({ lookupApp: store.lookupApp, clock, keyCacheTtlMs });
  const token = (signWith = secret, appId = 'web') =>
    issueToken({ tenantId: 'acme', appId, userId: 'u', ttlSeconds: 3600, key: { kind: 'hs256-secret', secret: signWith }, now: clock.now() });
  return { clock, store, secret, verifier, token };
}

describe('TokenVerifier key cache', () => {
  it('looks the app up once for many verifies within the TTL (2 s by default)', async () => {
    const { clock, store, verifier, token } = setup();
    const jwt = await token();
    for (let i = 0; i < 20; i += 1) await verifier.verify(jwt);
    clock.advance(1_999);
    await verifier.verify(jwt);
    assert.equal(store.lookups, 1);
  });

  it('shares one lookup between concurrent verifies', async () => {
    const { store, verifier, token } = setup();
    const jwt = await token();
    await Promise.all(Array.from({ length: 50 }, () => verifier.verify(jwt)));
    assert.equal(store.lookups, 1);
  });

  it('looks the app up again after the TTL passes', async () => {
    const { clock, store, verifier, token } = setup();
    const jwt = await token();
    await verifier.verify(jwt);
    clock.advance(2_000);
    await verifier.verify(jwt);
    await verifier.verify(jwt);
    assert.equal(store.lookups, 2);
  });

  it('applies a changed key after the TTL, not before', async () => {
    const { clock, store, verifier, token } = setup(5_000);
    await verifier.verify(await token());
    const rotated = generateHs256Secret();
    store.setKey('acme', 'web', { kind: 'hs256-secret', secret: rotated });
    const newToken = await token(rotated);
    await assert.rejects(verifier.verify(newToken), { code: 'TOKEN_INVALID' });
    await verifier.verify(await token());
    clock.advance(5_000);
    assert.equal((await verifier.verify(newToken)).userId, 'u');
    await assert.rejects(verifier.verify(await token()), { code: 'TOKEN_INVALID' });
  });

  it('caches an unknown app briefly, so bad tokens do not hammer the store', async () => {
    const { clock, store, secret, verifier, token } = setup();
    const unknown = await token(secret, 'nope');
    for (let i = 0; i < 20; i += 1) await assert.rejects(verifier.verify(unknown), { code: 'APP_UNKNOWN' });
    assert.equal(store.lookups, 1);
    store.setKey('acme', 'nope', { kind: 'hs256-secret', secret });
    await assert.rejects(verifier.verify(unknown), { code: 'APP_UNKNOWN' });
    clock.advance(2_000);
    assert.equal((await verifier.verify(unknown)).appId, 'nope');
    assert.equal(store.lookups, 2);
  });

  it('notices a deleted app after the TTL', async () => {
    const { clock, store, verifier, token } = setup();
    const jwt = await token();
    await verifier.verify(jwt);
    store.delete('acme', 'web');
    clock.advance(2_000);
    await assert.rejects(verifier.verify(jwt), { code: 'APP_UNKNOWN' });
  });

  it('does not cache a store failure, and reports it as STORE_UNAVAILABLE', async () => {
    const { store, verifier, token } = setup();
    const jwt = await token();
    store.failNext = new Error('connection refused');
    await assert.rejects(verifier.verify(jwt), { code: 'STORE_UNAVAILABLE', closeCode: 4503 });
    assert.equal((await verifier.verify(jwt)).userId, 'u');
    assert.equal(store.lookups, 2);
  });

  it('reports an unusable stored key as INTERNAL without caching it', async () => {
    const { store, verifier, token } = setup();
    const jwt = await token();
    store.setKey('acme', 'web', { kind: 'public-key', algorithm: 'RS256', pem: 'not a pem' });
    await assert.rejects(verifier.verify(jwt), { code: 'INTERNAL' });
    await assert.rejects(verifier.verify(jwt), { code: 'INTERNAL' });
    assert.equal(store.lookups, 2);
  });

  it('evicts the oldest entry when maxCachedApps is reached', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const store = new MemoryAppStore();
    const secret = generateHs256Secret();
    const verifier = new TokenVerifier({ lookupApp: store.lookupApp, clock, maxCachedApps: 2 });
    const tokenFor = (appId: string) =>
      issueToken({ tenantId: 't', appId, userId: 'u', ttlSeconds: 60, key: { kind: 'hs256-secret', secret }, now: clock.now() });
    for (const appId of ['a', 'b', 'c', 'a']) {
      await assert.rejects(verifier.verify(await tokenFor(appId)), { code: 'APP_UNKNOWN' });
    }
    assert.equal(store.lookups, 4);
  });

  it('imports an HS256 secret once, as a key that can only verify', async () => {
    const { clock, store, secret, verifier, token } = setup();
    const cache = new AppKeyCache({ lookupApp: store.lookupApp, clock, ttlMs: 2_000, maxEntries: 10 });
    const first = await cache.get('acme', 'web');
    // jose would import raw bytes again on every verify; the cache hands it the imported key.
    assert.ok(first !== null, 'the app is known');
    assert.equal(Object.prototype.toString.call(first.key), '[object CryptoKey]', 'an imported key, not the raw secret');
    assert.deepEqual([first.key.type, first.key.algorithm.name, first.key.extractable, first.key.usages], ['secret', 'HMAC', false, ['verify']]);
    assert.equal(await cache.get('acme', 'web').then((again) => again?.key), first.key);
    // The imported key verifies what the secret signed, and nothing signed with another secret.
    assert.equal((await verifier.verify(await token())).userId, 'u');
    await assert.rejects(verifier.verify(await token(`${secret}-other`)), { code: 'TOKEN_INVALID' });
  });
});
