import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, jwtVerify } from 'jose';
import { signTestToken } from '../helpers/testServer.js';
import { connectClient, destroyAll, nextClose, waitForSync } from '../helpers/yjsClient.js';
import { jwtPattern, runCli, startServe, type CliResult, type ServeProcess, useTempDataDir } from './cliProcess.js';
import { syncWithin } from './syncWithin.js';

const secretLine = /^secret: ([\w-]+)$/m;

/** A key pair for a public-key app: the public PEM registers the app, the private PEM signs. */
async function writeKeyPair(dir: string, name: string, type: 'ec' | 'rsa'): Promise<{ publicFile: string; privateFile: string; publicPem: string }> {
  const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const publicFile = path.join(dir, `${name}.pub.pem`);
  const privateFile = path.join(dir, `${name}.key.pem`);
  await writeFile(publicFile, publicPem);
  await writeFile(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return { publicFile, privateFile, publicPem };
}

function assertFails(result: CliResult, code: 1 | 2, stderr: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, stderr);
}

describe('OPS-6: tenants, apps and token against a store', () => {
  let dir: string;
  let cli: (...args: string[]) => Promise<CliResult>;
  useTempDataDir(async (made) => {
    dir = made;
    cli = (...args) => runCli([...args, '--data-dir', dir]);
  });

  it('OPS-6: tenants create / list / set, with exit codes and messages', async () => {
    assert.deepEqual(await cli('tenants', 'create', 'acme'), { code: 0, stdout: 'created tenant acme (maxDocuments 1000)\n', stderr: '' });
    assert.equal((await cli('tenants', 'create', 'small', '--max-documents', '5')).code, 0);
    const [duplicate, unknown, badValue, missingValue, missingId] = await Promise.all([
      cli('tenants', 'create', 'acme'),
      cli('tenants', 'set', 'nope', '--max-documents', '3'),
      cli('tenants', 'create', 'other', '--max-documents', 'lots'),
      cli('tenants', 'set', 'acme'),
      cli('tenants', 'create'),
    ]);
    assertFails(duplicate, 1, /^wiresocket: tenant "acme" already exists\n$/);
    assertFails(unknown, 1, /^wiresocket: tenant "nope" does not exist\n$/);
    assertFails(badValue, 2, /^wiresocket: --max-documents must be an integer >= 0; got "lots"\n/);
    assertFails(missingValue, 2, /--max-documents/);
    assertFails(missingId, 2, /tenants create needs <tenantId>/);
    assert.deepEqual(await cli('tenants', 'set', 'acme', '--max-documents', '7'), { code: 0, stdout: 'tenant acme: maxDocuments 7\n', stderr: '' });
    const list = await cli('tenants', 'list');
    assert.equal(list.stdout, 'acme\tmaxDocuments=7\tliveDocuments=0\nsmall\tmaxDocuments=5\tliveDocuments=0\n');
  });

  it('REGION-11: tenants create / set --regions limit where a tenant is pinned; empty or * lifts it; list shows it', async () => {
    assert.deepEqual(await cli('tenants', 'create', 'eu-only', '--regions', 'eu-west,eu-central'), { code: 0, stdout: 'created tenant eu-only (maxDocuments 1000, regions eu-west,eu-central)\n', stderr: '' });
    assert.match((await cli('tenants', 'list')).stdout, /^eu-only\tmaxDocuments=1000\tliveDocuments=0\tregions=eu-west,eu-central$/m);
    assert.deepEqual(await cli('tenants', 'set', 'eu-only', '--regions', 'us'), { code: 0, stdout: 'tenant eu-only: regions us\n', stderr: '' });
    assert.deepEqual(await cli('tenants', 'set', 'eu-only', '--regions'), { code: 0, stdout: 'tenant eu-only: regions anywhere\n', stderr: '' });
    assert.match((await cli('tenants', 'list')).stdout, /^eu-only\tmaxDocuments=1000\tliveDocuments=0$/m, 'no limit, nothing shown');
    assert.deepEqual(await cli('tenants', 'set', 'eu-only', '--regions', 'a', '--max-documents', '3'), { code: 0, stdout: 'tenant eu-only: maxDocuments 3, regions a\n', stderr: '' });
    assert.deepEqual(await cli('tenants', 'set', 'eu-only', '--regions', '*'), { code: 0, stdout: 'tenant eu-only: regions anywhere\n', stderr: '' });
    const bad = await cli('tenants', 'set', 'eu-only', '--regions', 'a b');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--regions takes region names .* got "a b"/);
    assert.equal((await cli('tenants', 'set', 'nobody', '--regions', 'a')).code, 1);
  });

  it('OPS-6: the store is found through WIRESOCKET_DATA_DIR as well as --data-dir', async () => {
    const viaEnv = await runCli(['tenants', 'list'], { WIRESOCKET_DATA_DIR: dir });
    const viaDbUrl = await runCli(['tenants', 'list'], { WIRESOCKET_DB_URL: `file:${path.join(dir, 'wiresocket.db')}` });
    assert.equal(viaEnv.code, 0);
    assert.match(viaEnv.stdout, /^acme\t/);
    assert.equal(viaDbUrl.stdout, viaEnv.stdout);
  });

  it('OPS-6: apps create prints a new HS256 secret once; apps list never shows it', async () => {
    const created = await cli('apps', 'create', 'acme/editor');
    assert.equal(created.code, 0, created.stderr);
    const secret = secretLine.exec(created.stdout)?.[1] ?? '';
    assert.equal(secret.length, 43, 'a base64url-encoded 32-byte secret');
    assert.match(created.stdout, /^created app acme\/editor \(HS256 secret\)\n/);
    assert.match(created.stdout, /not shown again/);
    const list = await cli('apps', 'list');
    assert.match(list.stdout, /^acme\/editor\ths256-secret\tHS256\tcreated=\d{4}-\d\d-\d\dT[\d:.]+Z\tkey-version=1\n$/);
    assert.ok(!list.stdout.includes(secret));
    const token = (await cli('token', 'acme/editor', '--user', 'bob')).stdout.trim();
    await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
  });

  it('OPS-6: apps create --public-key registers EC and RSA keys with the detected algorithm', async () => {
    const ec = await writeKeyPair(dir, 'ec', 'ec');
    const rsa = await writeKeyPair(dir, 'rsa', 'rsa');
    const [ecApp, rsaApp] = await Promise.all([
      cli('apps', 'create', 'acme/ec-app', '--public-key', ec.publicFile),
      cli('apps', 'create', 'acme/rsa-app', '--public-key', rsa.publicFile),
    ]);
    assert.equal(ecApp.stdout, 'created app acme/ec-app (public key, ES256); sign tokens with its private key\n');
    assert.equal(rsaApp.stdout, 'created app acme/rsa-app (public key, RS256); sign tokens with its private key\n');
    const list = await cli('apps', 'list', 'acme');
    assert.deepEqual(
      list.stdout.trim().split('\n').map((line) => line.split('\t').slice(0, 3).join(' ')),
      ['acme/ec-app public-key ES256', 'acme/editor hs256-secret HS256', 'acme/rsa-app public-key RS256'],
    );
    assert.ok(!list.stdout.includes('BEGIN'), 'no key material in the list');
  });

  it('OPS-6: apps create and list refuse bad input with exit 1 or 2', async () => {
    const ec = await writeKeyPair(dir, 'refused', 'ec');
    const results = await Promise.all([
      cli('apps', 'create', 'acme'),
      cli('apps', 'create', 'acme/a/b'),
      cli('apps', 'create', 'no-such-tenant/app'),
      cli('apps', 'create', 'acme/editor'),
      cli('apps', 'create', 'acme/private', '--public-key', ec.privateFile),
      cli('apps', 'create', 'acme/missing', '--public-key', path.join(dir, 'missing.pem')),
      cli('apps', 'list', 'no-such-tenant'),
      cli('apps', 'remove', 'acme/editor'),
    ]);
    const [noSlash, twoSlashes, noTenant, duplicate, privateKey, missingFile, listUnknown, unknownSub] = results;
    assertFails(noSlash!, 2, /^wiresocket: expected <tenantId>\/<appId> .*got "acme"\n/);
    assertFails(twoSlashes!, 2, /expected <tenantId>\/<appId>/);
    assertFails(noTenant!, 1, /tenant "no-such-tenant" does not exist/);
    assertFails(duplicate!, 1, /app "editor" already exists in tenant "acme"/);
    assertFails(privateKey!, 1, /^wiresocket: --public-key .*private key/);
    assertFails(missingFile!, 1, /^wiresocket: --public-key: cannot read .*ENOENT/);
    assertFails(listUnknown!, 1, /tenant "no-such-tenant" does not exist/);
    assertFails(unknownSub!, 2, /unknown subcommand "apps remove"[^]*Usage: wiresocket/);
  });

  it('OPS-6: token prints only a JWT with --docs, --read-only and --ttl; the default ttl is 1 h', async () => {
    const [full, plain] = await Promise.all([
      cli('token', 'acme/editor', '--user', 'alice', '--docs', 'notes,drafts/*', '--read-only', '--ttl', '2h'),
      cli('token', 'acme/editor', '--user', 'bob'),
    ]);
    assert.equal(full.code, 0, full.stderr);
    assert.match(full.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(full.stdout.trim());
    assert.deepEqual(
      { sub: claims.sub, tenantId: claims.tenantId, appId: claims.appId, docs: claims.docs, access: claims.access, ttl: (claims.exp ?? 0) - (claims.iat ?? 0) },
      { sub: 'alice', tenantId: 'acme', appId: 'editor', docs: ['notes', 'drafts/*'], access: 'read-only', ttl: 7200 },
    );
    const defaults = decodeJwt(plain.stdout.trim());
    assert.equal((defaults.exp ?? 0) - (defaults.iat ?? 0), 3600);
    assert.equal(defaults.access, undefined);
    assert.equal(defaults.docs, undefined);
  });

  it('OPS-6: token signs for a public-key app with --private-key, and refuses without it', async () => {
    const keys = await writeKeyPair(dir, 'signer', 'ec');
    const other = await writeKeyPair(dir, 'other', 'ec');
    assert.equal((await cli('apps', 'create', 'acme/signer', '--public-key', keys.publicFile)).code, 0);
    const [signed, missing, wrongKey, onHs256] = await Promise.all([
      cli('token', 'acme/signer', '--user', 'carol', '--private-key', keys.privateFile),
      cli('token', 'acme/signer', '--user', 'carol'),
      cli('token', 'acme/signer', '--user', 'carol', '--private-key', other.privateFile),
      cli('token', 'acme/editor', '--user', 'carol', '--private-key', keys.privateFile),
    ]);
    assert.equal(signed.code, 0, signed.stderr);
    const verified = await jwtVerify(signed.stdout.trim(), createPublicKey(keys.publicPem), { algorithms: ['ES256'] });
    assert.equal(verified.payload.sub, 'carol');
    assertFails(missing, 1, /^wiresocket: app acme\/signer verifies tokens with a public key \(ES256\): pass --private-key <pem-file>/);
    assertFails(wrongKey, 1, /--private-key does not match/);
    assertFails(onHs256, 1, /--private-key is only for public-key apps/);
  });

  it('OPS-6: token refuses a missing --user, a bad <tenant>/<app>, an unknown app and a bad --ttl', async () => {
    const [noUser, badRef, unknownApp, badTtl, badDocs, unknownFlag] = await Promise.all([
      cli('token', 'acme/editor'),
      cli('token', 'acme:editor', '--user', 'x'),
      cli('token', 'acme/nope', '--user', 'x'),
      cli('token', 'acme/editor', '--user', 'x', '--ttl', 'forever'),
      cli('token', 'acme/editor', '--user', 'x', '--docs', 'a,,b'),
      cli('token', 'acme/editor', '--user', 'x', '--expires', '1h'),
    ]);
    assertFails(noUser, 2, /^wiresocket: token needs --user <id>\n/);
    assertFails(badRef, 2, /expected <tenantId>\/<appId>.*"acme:editor"/);
    assertFails(unknownApp, 1, /^wiresocket: app acme\/nope does not exist\n$/);
    assertFails(badTtl, 2, /^wiresocket: --ttl: invalid TTL "forever"/);
    assertFails(badDocs, 2, /^wiresocket: --docs must be/);
    assertFails(unknownFlag, 2, /^wiresocket: unknown option --expires\n[^]*Usage: wiresocket/);
  });
});

describe('OPS-6: commands against a running serve', () => {
  let dir: string;
  let serve: ServeProcess;
  let cli: (...args: string[]) => Promise<CliResult>;
  useTempDataDir(async (made) => {
    dir = made;
    cli = (...args) => runCli([...args, '--data-dir', dir]);
    serve = await startServe(['--data-dir', dir, '--log-level', 'warn']);
  });

  it('OPS-6 AUTH-9: an app created while serve runs accepts its CLI token within 5 s', async () => {
    assert.equal((await cli('tenants', 'create', 'live')).code, 0);
    // A connect for the app before it exists makes the server cache "unknown app" (4401).
    const early = connectClient(serve.url, 'late-doc', { token: await signTestToken({ tenantId: 'live', appId: 'late', secret: 'x'.repeat(43) }) });
    assert.equal((await nextClose(early.provider)).code, 4401);
    destroyAll([early.provider]);

    const created = await cli('apps', 'create', 'live/late');
    const createdAt = Date.now();
    assert.equal(created.code, 0, created.stderr);
    const token = (await cli('token', 'live/late', '--user', 'dana')).stdout.trim();
    assert.match(token, jwtPattern);
    const client = await syncWithin(serve.url, 'late-doc', token, 5_000 - (Date.now() - createdAt));
    assert.ok(Date.now() - createdAt < 5_000);
    assert.ok(client.refused.every((code) => code === 4401), `refusals: ${client.refused.join(', ')}`);
    destroyAll([client.provider]);
  });

  it('OPS-6 TEN-4: tenants set --max-documents lets a second document in on a running server within 5 s', async () => {
    assert.equal((await cli('tenants', 'create', 'quota', '--max-documents', '1')).code, 0);
    const created = await cli('apps', 'create', 'quota/app');
    assert.equal(created.code, 0, created.stderr);
    const token = (await cli('token', 'quota/app', '--user', 'erin')).stdout.trim();

    const first = connectClient(serve.url, 'doc-1', { token });
    await waitForSync(first.provider);
    const second = connectClient(serve.url, 'doc-2', { token });
    assert.equal((await nextClose(second.provider)).code, 4429);
    destroyAll([second.provider]);
    assert.match((await cli('tenants', 'list')).stdout, /^quota\tmaxDocuments=1\tliveDocuments=1$/m);

    assert.equal((await cli('tenants', 'set', 'quota', '--max-documents', '2')).code, 0);
    const raisedAt = Date.now();
    const again = await syncWithin(serve.url, 'doc-2', token, 5_000);
    assert.ok(Date.now() - raisedAt < 5_000);
    assert.match((await cli('tenants', 'list')).stdout, /^quota\tmaxDocuments=2\tliveDocuments=2$/m);
    destroyAll([first.provider, again.provider]);
  });

  it('OPS-6: serve keeps running and exits 0 after the CLI wrote to its store', async () => {
    const exit = await serve.stop();
    assert.deepEqual([exit.code, exit.signal], [0, null], serve.stderr());
  });
});
