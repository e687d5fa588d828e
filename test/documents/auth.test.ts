import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { appKeyFromPublicKeyPem } from '../../src/auth/keyMaterial.js';
import { issueToken } from '../../src/auth/tokenIssuer.js';
import { RawClient, type RawClose } from '../helpers/rawClient.js';
import { signTestToken, startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, nextClose } from '../helpers/yjsClient.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('documents: auth at the upgrade', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  /** Connects with the given subprotocols; returns the close and the auth reason sent before it. */
  const refusal = async (protocols: string[] | null, doc = 'secret-doc'): Promise<RawClose & { authReason: string | null; frames: number }> => {
    const raw = RawClient.connect(server.url, doc, protocols);
    const closed = await raw.waitForClose();
    const auth = raw.frames.find((frame) => frame.type === 2);
    return { ...closed, authReason: auth?.reason ?? null, frames: raw.frames.length };
  };

  it('PROTO-8: the handshake selects Bearer and never echoes the token', async () => {
    const token = await server.token();
    const raw = RawClient.connect(server.url, 'doc', ['Bearer', token]);
    const response = new Promise<Record<string, string | string[] | undefined>>((resolve) => raw.ws.once('upgrade', (res) => resolve(res.headers)));
    await raw.opened;
    assert.equal(raw.ws.protocol, 'Bearer');
    const headers = await response;
    assert.equal(headers['sec-websocket-protocol'], 'Bearer');
    assert.ok(!JSON.stringify(headers).includes(token));
    raw.close();
  });

  it('AUTH-1/AUTH-8: no token -> auth message, then 4401', async () => {
    const result = await refusal(null);
    assert.equal(result.code, 4401);
    assert.match(result.authReason ?? '', /token/i);
  });

  it('AUTH-1: only the Bearer marker, no token -> 4401', async () => {
    assert.equal((await refusal(['Bearer'])).code, 4401);
  });

  it('AUTH-2: a token signed with another secret -> 4401', async () => {
    const forged = await signTestToken({ ...server.app, secret: 'x'.repeat(43) });
    const result = await refusal(['Bearer', forged]);
    assert.equal(result.code, 4401);
    assert.equal(result.reason, 'TOKEN_INVALID');
  });

  it('AUTH-3: alg none -> 4401', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'mallory', tenantId: 'acme', appId: 'editor', exp })}.`;
    assert.equal((await refusal(['Bearer', unsigned])).code, 4401);
  });

  it('AUTH-3: algorithm confusion (HS256 signed with an RS256 app public key) -> 4401', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await server.stores.tenants.createApp({ tenantId: 'acme', appId: 'rsa-app', key: appKeyFromPublicKeyPem(pem), createdAt: Date.now() });
    const confused = await new SignJWT({ tenantId: 'acme', appId: 'rsa-app' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(pem));
    assert.equal((await refusal(['Bearer', confused])).code, 4401);
  });

  it('AUTH-4: an expired token -> 4401', async () => {
    const expired = await issueToken({ tenantId: 'acme', appId: 'editor', userId: 'u', ttlSeconds: 60, now: Date.now() - 3_600_000, key: { kind: 'hs256-secret', secret: server.app.secret } });
    const result = await refusal(['Bearer', expired]);
    assert.equal(result.code, 4401);
    assert.equal(result.reason, 'TOKEN_EXPIRED');
  });

  it('AUTH-5: a token without exp -> 4401', async () => {
    const noExp = await new SignJWT({ tenantId: 'acme', appId: 'editor' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .sign(new TextEncoder().encode(server.app.secret));
    const result = await refusal(['Bearer', noExp]);
    assert.equal(result.code, 4401);
    assert.equal(result.reason, 'TOKEN_CLAIMS');
  });

  it("AUTH-6: a token claiming another app than the key that signed it, or an unknown app -> 4401", async () => {
    const other = await server.addApp('globex', 'editor');
    const claimsGlobex = await issueToken({ tenantId: other.tenantId, appId: other.appId, userId: 'u', ttlSeconds: 60, key: { kind: 'hs256-secret', secret: server.app.secret } });
    assert.equal((await refusal(['Bearer', claimsGlobex])).code, 4401);
    const unknownApp = await issueToken({ tenantId: 'acme', appId: 'nope', userId: 'u', ttlSeconds: 60, key: { kind: 'hs256-secret', secret: server.app.secret } });
    const result = await refusal(['Bearer', unknownApp]);
    assert.equal(result.code, 4401);
    assert.equal(result.reason, 'APP_UNKNOWN');
  });

  it("AUTH-7/AUTH-8: a document outside the token's docs list -> auth message, then 4403; a granted one opens", async () => {
    const token = await server.token({ docs: ['notes/*', 'readme'] });
    const result = await refusal(['Bearer', token], 'private');
    assert.equal(result.code, 4403);
    assert.match(result.authReason ?? '', /does not grant/);
    for (const granted of ['notes/today', 'readme']) {
      const raw = RawClient.connect(server.url, encodeURIComponent(granted), ['Bearer', token]);
      assert.equal(await raw.outcome(), 'open', granted);
      raw.close();
    }
  });

  it('AUTH-7: the stock client stops reconnecting after a 44xx close', async () => {
    const token = await server.token({ docs: ['only-this'] });
    const client = connectClient(server.url, 'not-this', { token });
    const first = await nextClose(client.provider);
    assert.equal(first.code, 4403);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(client.provider.wsconnected, false);
    assert.equal(client.provider.wsconnecting, false, 'no reconnect attempt after a terminal close');
    destroyAll([client.provider]);
  });
});
