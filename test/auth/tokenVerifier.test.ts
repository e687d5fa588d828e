import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyPairKeyObjectResult } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import {
  TokenVerifier,
  appKeyFromPublicKeyPem,
  generateHs256Secret,
  hs256SecretBytes,
  issueToken,
  type IssueTokenOptions,
  type SigningKey,
} from '../../src/auth/index.js';
import { CloseCode } from '../../src/closeCodes.js';
import type { ErrorCode } from '../../src/errors.js';
import { ManualClock } from '../helpers/manualClock.js';
import { MemoryAppStore } from './memoryAppStore.js';

const clock = new ManualClock(Date.UTC(2030, 0, 1));
const store = new MemoryAppStore();
const verifier = new TokenVerifier({ lookupApp: store.lookupApp, clock });

const webSecret = generateHs256Secret();
const mobileSecret = generateHs256Secret();
store.setKey('acme', 'web', { kind: 'hs256-secret', secret: webSecret });
store.setKey('acme', 'mobile', { kind: 'hs256-secret', secret: mobileSecret });

const privatePem = (pair: KeyPairKeyObjectResult): string =>
  pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const keyPairs = {
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ed: generateKeyPairSync('ed25519'),
};
for (const [appId, pair] of Object.entries(keyPairs)) {
  store.setKey('acme', appId, appKeyFromPublicKeyPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()));
}
const rsaPublicPem = keyPairs.rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function webToken(overrides: Partial<IssueTokenOptions> = {}): Promise<string> {
  return issueToken({
    tenantId: 'acme',
    appId: 'web',
    userId: 'user-1',
    ttlSeconds: 60,
    key: { kind: 'hs256-secret', secret: webSecret },
    now: clock.now(),
    ...overrides,
  });
}

/** Signs arbitrary claims with the web app's secret, for tokens the issuer would refuse to make. */
function signWebClaims(claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(hs256SecretBytes(webSecret));
}

const nowSeconds = (): number => Math.floor(clock.now() / 1000);
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function rejectsWith(token: string | null, code: ErrorCode): Promise<void> {
  await assert.rejects(verifier.verify(token), { name: 'WiresocketError', code });
}

describe('TokenVerifier round trips', () => {
  it('accepts an HS256 token and builds the principal from its claims', async () => {
    const principal = await verifier.verify(await webToken());
    assert.deepEqual(principal, {
      tenantId: 'acme',
      appId: 'web',
      userId: 'user-1',
      access: 'read-write',
      docs: null,
      expiresAt: (nowSeconds() + 60) * 1000,
      keyVersion: 1,
    });
    assert.ok(Object.isFrozen(principal));
  });

  it('carries read-only access and docs through', async () => {
    const principal = await verifier.verify(await webToken({ access: 'read-only', docs: ['notes/*', 'board'] }));
    assert.equal(principal.access, 'read-only');
    assert.deepEqual(principal.docs, ['notes/*', 'board']);
  });

  const asymmetric: Array<[string, keyof typeof keyPairs]> = [
    ['RS256', 'rsa'],
    ['ES256', 'ec'],
    ['EdDSA', 'ed'],
  ];
  for (const [algorithm, appId] of asymmetric) {
    it(`accepts an ${algorithm} token for a public-key app`, async () => {
      const key: SigningKey = { kind: 'private-key', pem: privatePem(keyPairs[appId]) };
      const principal = await verifier.verify(await webToken({ appId, key, docs: ['d'], access: 'read-only' }));
      assert.deepEqual(
        [principal.appId, principal.userId, principal.access, principal.docs],
        [appId, 'user-1', 'read-only', ['d']],
      );
    });
  }

  it('verifies only with the stored algorithm: PS256 from the same RSA key is refused', async () => {
    const key: SigningKey = { kind: 'private-key', pem: privatePem(keyPairs.rsa), algorithm: 'PS256' };
    await rejectsWith(await webToken({ appId: 'rsa', key }), 'TOKEN_INVALID');
  });

  it('ignores claims it does not know', async () => {
    const principal = await verifier.verify(await signWebClaims({ tenantId: 'acme', appId: 'web', sub: 'u', exp: nowSeconds() + 9, role: 'x' }));
    assert.equal(principal.userId, 'u');
  });
});

describe('TokenVerifier refusals', () => {
  it('TOKEN_MISSING for no token or an empty one, closing 4401', async () => {
    await rejectsWith(null, 'TOKEN_MISSING');
    await rejectsWith('', 'TOKEN_MISSING');
    await assert.rejects(verifier.verify(null), { closeCode: CloseCode.unauthorized, httpStatus: 401 });
  });

  it('TOKEN_INVALID for garbage', async () => {
    for (const garbage of ['garbage', 'a.b.c', 'a.b', '...', 'a.b.c.d.e', `${base64url({ alg: 'HS256' })}.!!!.x`]) {
      await rejectsWith(garbage, 'TOKEN_INVALID');
    }
  });

  it('TOKEN_INVALID for a token over 8 KiB, before any lookup', async () => {
    const before = store.lookups;
    await rejectsWith(await webToken({ docs: ['x'.repeat(9000)] }), 'TOKEN_INVALID');
    assert.equal(store.lookups, before);
  });

  it('TOKEN_INVALID for alg none', async () => {
    const payload = { tenantId: 'acme', appId: 'web', sub: 'user-1', exp: nowSeconds() + 60 };
    await rejectsWith(`${base64url({ alg: 'none' })}.${base64url(payload)}.`, 'TOKEN_INVALID');
    await rejectsWith(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}`, 'TOKEN_INVALID');
  });

  it('TOKEN_INVALID for a wrong secret', async () => {
    await rejectsWith(await webToken({ key: { kind: 'hs256-secret', secret: generateHs256Secret() } }), 'TOKEN_INVALID');
  });

  it('TOKEN_INVALID for a token naming app B but signed with app A secret', async () => {
    await rejectsWith(await webToken({ appId: 'mobile', key: { kind: 'hs256-secret', secret: webSecret } }), 'TOKEN_INVALID');
  });

  it('TOKEN_INVALID for a token naming another tenant, signed with this app secret', async () => {
    store.setKey('globex', 'web', { kind: 'hs256-secret', secret: generateHs256Secret() });
    await rejectsWith(await webToken({ tenantId: 'globex' }), 'TOKEN_INVALID');
  });

  it('TOKEN_INVALID for algorithm confusion: HS256 signed with the RS256 public key PEM', async () => {
    await rejectsWith(await webToken({ appId: 'rsa', key: { kind: 'hs256-secret', secret: rsaPublicPem } }), 'TOKEN_INVALID');
  });

  it('TOKEN_INVALID for a tampered payload', async () => {
    const [header, , signature] = (await webToken()).split('.');
    const forged = base64url({ tenantId: 'acme', appId: 'web', sub: 'admin', exp: nowSeconds() + 60 });
    await rejectsWith(`${header}.${forged}.${signature}`, 'TOKEN_INVALID');
  });

  it('TOKEN_EXPIRED once exp has passed on the injected clock', async () => {
    const token = await webToken({ ttlSeconds: 60 });
    clock.advance(59_000);
    await verifier.verify(token);
    clock.advance(1_000);
    await rejectsWith(token, 'TOKEN_EXPIRED');
  });

  it('accepts skew up to clockToleranceSeconds, and none by default', async () => {
    const tolerant = new TokenVerifier({ lookupApp: store.lookupApp, clock, clockToleranceSeconds: 5 });
    const token = await webToken({ ttlSeconds: 10 });
    clock.advance(12_000);
    await rejectsWith(token, 'TOKEN_EXPIRED');
    assert.equal((await tolerant.verify(token)).userId, 'user-1');
    clock.advance(4_000);
    await assert.rejects(tolerant.verify(token), { code: 'TOKEN_EXPIRED' });
  });

  it('TOKEN_CLAIMS for a token without exp', async () => {
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', sub: 'u' }), 'TOKEN_CLAIMS');
  });

  it('TOKEN_CLAIMS for a non-numeric exp', async () => {
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', sub: 'u', exp: 'soon' as unknown as number }), 'TOKEN_CLAIMS');
  });

  it('TOKEN_CLAIMS for a token not valid yet (nbf)', async () => {
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', sub: 'u', exp: nowSeconds() + 60, nbf: nowSeconds() + 30 }), 'TOKEN_CLAIMS');
  });

  it('TOKEN_CLAIMS for a missing, empty or non-string sub', async () => {
    const exp = nowSeconds() + 60;
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', exp }), 'TOKEN_CLAIMS');
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', exp, sub: '' }), 'TOKEN_CLAIMS');
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', exp, sub: 42 as unknown as string }), 'TOKEN_CLAIMS');
  });

  it('TOKEN_CLAIMS for a bad access value', async () => {
    const exp = nowSeconds() + 60;
    for (const access of ['admin', 'READ-ONLY', 1, null]) {
      await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', sub: 'u', exp, access }), 'TOKEN_CLAIMS');
    }
  });

  it('TOKEN_CLAIMS for docs that are not a list of non-empty strings', async () => {
    const exp = nowSeconds() + 60;
    for (const docs of ['notes/*', [''], [1], null, {}]) {
      await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: 'web', sub: 'u', exp, docs }), 'TOKEN_CLAIMS');
    }
  });

  it('TOKEN_CLAIMS for missing or invalid tenantId/appId, without a store lookup', async () => {
    const before = store.lookups;
    const exp = nowSeconds() + 60;
    await rejectsWith(await signWebClaims({ appId: 'web', sub: 'u', exp }), 'TOKEN_CLAIMS');
    await rejectsWith(await signWebClaims({ tenantId: 'acme', sub: 'u', exp }), 'TOKEN_CLAIMS');
    await rejectsWith(await signWebClaims({ tenantId: 'acme::x', appId: 'web', sub: 'u', exp }), 'TOKEN_CLAIMS');
    await rejectsWith(await signWebClaims({ tenantId: 'acme', appId: ['web'], sub: 'u', exp }), 'TOKEN_CLAIMS');
    assert.equal(store.lookups, before);
  });

  it('APP_UNKNOWN for a token naming an unregistered app', async () => {
    await rejectsWith(await webToken({ appId: 'nope' }), 'APP_UNKNOWN');
    await rejectsWith(await webToken({ tenantId: 'nobody' }), 'APP_UNKNOWN');
  });
});

describe('TokenVerifier: reusing a verified token', () => {
  const local = new ManualClock(Date.UTC(2030, 0, 1));
  const apps = new MemoryAppStore();
  const secret = generateHs256Secret();
  apps.setKey('acme', 'web', { kind: 'hs256-secret', secret });
  let lookups = 0;
  const reuser = new TokenVerifier({ lookupApp: (tenantId, appId) => (lookups++, apps.lookupApp(tenantId, appId)), clock: local, keyCacheTtlMs: 60_000 });
  const token = (ttlSeconds: number, key = secret) => issueToken({ tenantId: 'acme', appId: 'web', userId: 'u', ttlSeconds, key: { kind: 'hs256-secret', secret: key }, now: local.now() });

  it('gives the same principal for the same token, and refuses it once it has expired', async () => {
    const short = await token(10);
    const first = await reuser.verify(short);
    assert.equal(await reuser.verify(short), first, 'reused, not verified again');
    local.advance(10_000);
    await assert.rejects(reuser.verify(short), (error: { code?: string }) => error.code === 'TOKEN_EXPIRED');
  });

  it('PERF-8: verifies a token that 100 connects bring at once one time: all get the one principal', async () => {
    const shared = await token(600);
    const fresh = new TokenVerifier({ lookupApp: apps.lookupApp, clock: local });
    const principals = await Promise.all(Array.from({ length: 100 }, () => fresh.verify(shared)));
    // Each verification builds (and freezes) its own principal: one object means one check.
    assert.equal(new Set(principals).size, 1);
    const refused = await Promise.allSettled(Array.from({ length: 20 }, () => fresh.verify(`${shared.slice(0, -2)}xx`)));
    assert.ok(refused.every((outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: string }).code === 'TOKEN_INVALID'), 'a bad token is refused for every sharer');
  });

  it('stops reusing a token once its app key was rotated, and a token of the old key is refused', async () => {
    const old = await token(600);
    await reuser.verify(old);
    apps.setKey('acme', 'web', { kind: 'hs256-secret', secret: generateHs256Secret() });
    assert.ok(await reuser.verify(old), 'the cached key still verifies within its TTL');
    reuser.forgetApp('acme', 'web');
    const before = lookups;
    await assert.rejects(reuser.verify(old), (error: { code?: string }) => error.code === 'TOKEN_INVALID');
    assert.equal(lookups, before + 1, 'the new key was read');
  });
});
