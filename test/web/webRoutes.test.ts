import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { loadServeConfig } from '../../src/config.js';
import { devAppId, devTenantId } from '../../src/tenancy/index.js';
import { contentSecurityPolicy } from '../../src/web/index.js';
import { startDemoServer, type DemoServer } from '../helpers/demoServer.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { repoRoot } from '../cli/cliProcess.js';

/** A GET sent as written: fetch would resolve `..` segments before they reach the server. */
function rawGet(port: number, target: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: target, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function isJson404(url: string): Promise<boolean> {
  const response = await fetch(url);
  const type = response.headers.get('content-type') ?? '';
  const body = (await response.json()) as { error?: string };
  return response.status === 404 && type.startsWith('application/json') && body.error === 'not found';
}

/** The hashed bundle files the page's HTML names. */
function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
}

describe('the pages and their assets (WEB-10..WEB-13)', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer();
  });
  after(async () => demo.close());

  it('WEB-10: / answers the demo page: HTML, no-cache with an ETag, the CSP naming the ws/wss origins, no inline script', async () => {
    const response = await fetch(demo.pageUrl);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.match(response.headers.get('etag') ?? '', /^"[\w-]{22}"$/);
    const host = `127.0.0.1:${demo.port}`;
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.ok(csp.startsWith(`default-src 'self'; connect-src 'self' ws://${host} wss://${host}`), csp);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    const html = await response.text();
    for (const script of html.match(/<script\b[^>]*>/g) ?? []) assert.match(script, /\bsrc="\/assets\/demo\//, `inline script: ${script}`);
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'an inline event handler');
    assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'nothing is fetched from elsewhere');
    assert.equal((await fetch(demo.pageUrl, { headers: { 'if-none-match': response.headers.get('etag') ?? '' } })).status, 304);
  });

  it('WEB-11: the hashed bundle and stylesheet have their content types and a year of immutable cache; HEAD has no body', async () => {
    const html = await (await fetch(demo.pageUrl)).text();
    const paths = assetPaths(html);
    const js = paths.find((path) => /\/main-[A-Z0-9]{8}\.js$/.test(path));
    const css = paths.find((path) => /\/main-[A-Z0-9]{8}\.css$/.test(path));
    assert.ok(js && css, paths.join(', '));
    const base = demo.pageUrl.slice(0, -1);
    const script = await fetch(`${base}${js}`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(script.headers.get('x-content-type-options'), 'nosniff');
    assert.ok((await script.text()).length > 100);
    assert.equal((await fetch(`${base}${css}`)).headers.get('content-type'), 'text/css; charset=utf-8');
    const head = await fetch(`${base}${js}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('WEB-12: paths outside the built files are refused: traversal, encoded traversal, sources, unknown pages', async () => {
    for (const target of [
      '/assets/demo/../../../package.json',
      '/assets/demo/..%2F..%2F..%2Fpackage.json',
      '/assets/demo/%2e%2e/%2e%2e/package.json',
      '/assets/../package.json',
      '/assets/demo/main.ts',
      '/assets/demo/index.html',
      '/assets/nope/index.html',
      '/assets/demo/sub/file.js',
      '/index.html',
    ]) {
      const response = await rawGet(demo.port, target);
      assert.equal(response.status, 404, target);
      assert.doesNotMatch(response.body, /"name": "wiresocket"/, target);
    }
  });

  it('WEB-13: a Host header that could inject directives is not copied into the CSP', async () => {
    const response = await rawGet(demo.port, '/', { host: "evil; script-src 'unsafe-inline'" });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-security-policy'], contentSecurityPolicy(undefined, `127.0.0.1:${demo.port}`));
    assert.match(contentSecurityPolicy('[::1]:1234', 'x'), /connect-src 'self' ws:\/\/\[::1\]:1234 wss:\/\/\[::1\]:1234;/);
  });
});

describe('the demo token (WEB-14, WEB-15)', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await startDemoServer();
  });
  after(async () => demo.close());

  it('WEB-14: GET /v1/dev/token signs a 24 h token for dev/demo with a random guest name, or the name asked for; it opens a document', async () => {
    const response = await fetch(`${demo.pageUrl}v1/dev/token`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const answer = (await response.json()) as { token: string; user: string; tenantId: string; appId: string };
    assert.match(answer.user, /^guest-[0-9a-f]{6}$/);
    const claims = decodeJwt(answer.token);
    assert.deepEqual([claims.tenantId, claims.appId, claims.sub], [devTenantId, devAppId, answer.user]);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 24 * 3600);
    const other = (await (await fetch(`${demo.pageUrl}v1/dev/token`)).json()) as { user: string };
    assert.notEqual(other.user, answer.user);

    const named = (await (await fetch(`${demo.pageUrl}v1/dev/token?user=${encodeURIComponent('Ada L.')}`)).json()) as { token: string; user: string };
    assert.equal(named.user, 'Ada L.');
    const url = `ws://127.0.0.1:${demo.port}`;
    const a = connectClient(url, 'notes', { token: answer.token });
    const b = connectClient(url, 'notes', { token: named.token });
    await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
    a.doc.getText('t').insert(0, 'from the demo token');
    await eventually(() => b.doc.getText('t').toString() === 'from the demo token');
    destroyAll([a.provider, b.provider]);
  });

  it('WEB-15: a user name that is not a plain name is refused with 400 and a JSON { code, message }', async () => {
    for (const user of ['', 'a'.repeat(41), '<script>', 'tab\there']) {
      const response = await fetch(`${demo.pageUrl}v1/dev/token?user=${encodeURIComponent(user)}`);
      assert.equal(response.status, 400, JSON.stringify(user));
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, 'REQUEST_INVALID');
      assert.match(body.message, /user must be/);
    }
  });
});

describe('when the demo is not served (WEB-16)', () => {
  let server: TestServer | undefined;
  after(async () => server?.close());

  it('WEB-16: --demo off answers the JSON 404 at / and /v1/dev/token, also with the dev/demo app present', async () => {
    server = await startTestServer({ config: { demo: false } });
    await server.addApp(devTenantId, devAppId);
    const base = server.url.replace(/^ws:/, 'http:');
    assert.ok(await isJson404(`${base}/`));
    assert.ok(await isJson404(`${base}/v1/dev/token`));
    assert.ok(await isJson404(`${base}/v1/dev/token?user=x`));
    assert.equal(await server.server.demoAvailable(), false);
    await server.close();
    server = undefined;
  });

  it('WEB-16: with the demo on but no dev/demo app (an operator removed the bootstrap), / and /v1/dev/token answer 404', async () => {
    server = await startTestServer({ config: { demo: true } });
    const base = server.url.replace(/^ws:/, 'http:');
    assert.ok(await isJson404(`${base}/`));
    assert.ok(await isJson404(`${base}/v1/dev/token`));
    await server.close();
    server = undefined;
  });

  it('WEB-16: a server listening beyond loopback serves no demo, even with --demo on', async () => {
    server = await startTestServer({ config: { demo: true, host: '0.0.0.0' } });
    await server.addApp(devTenantId, devAppId);
    const port = server.server.port;
    assert.ok(await isJson404(`http://127.0.0.1:${port}/`));
    assert.ok(await isJson404(`http://127.0.0.1:${port}/v1/dev/token`));
    await server.close();
    server = undefined;
  });
});

describe('--demo and its default (WEB-17)', () => {
  it('WEB-17: on exactly when the host is loopback and neither --redis-url nor --db-url is set; --demo on|off overrides; other values name the flag', () => {
    const demoOf = (flags: Record<string, string>, env: Record<string, string> = {}) => loadServeConfig(flags, env).demo;
    assert.equal(demoOf({}), true);
    assert.equal(demoOf({ host: 'localhost' }), true);
    assert.equal(demoOf({ host: '::1' }), true);
    assert.equal(demoOf({ host: '127.0.0.2' }), true);
    assert.equal(demoOf({ host: '0.0.0.0' }), false);
    assert.equal(demoOf({ host: '10.0.0.5' }), false);
    assert.equal(demoOf({ 'redis-url': 'redis://127.0.0.1:6379' }), false);
    assert.equal(demoOf({ 'db-url': 'file:/tmp/x.db' }), false);
    assert.equal(demoOf({}, { WIRESOCKET_DB_URL: 'postgres://localhost/x' }), false);
    assert.equal(demoOf({ demo: 'off' }), false);
    assert.equal(demoOf({ demo: 'on', host: '0.0.0.0' }), true);
    assert.equal(demoOf({}, { WIRESOCKET_DEMO: 'off' }), false);
    assert.throws(() => loadServeConfig({ demo: 'yes' }, {}), /--demo must be on or off; got "yes"/);
  });
});

describe('the package (WEB-18)', () => {
  it('WEB-18: ships dist/web, builds it at prepare; the editor, bundler and browser packages are devDependencies', () => {
    const pkg = JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as {
      files: string[];
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.ok(pkg.files.includes('dist/web'), pkg.files.join(', '));
    assert.match(pkg.scripts.build, /tsc -p tsconfig\.json && node dist\/tools\/buildWeb\.js$/);
    assert.equal(pkg.scripts.prepare, 'npm run build');
    for (const name of ['codemirror', 'y-codemirror.next', '@codemirror/state', '@codemirror/view', 'esbuild', 'playwright-core', 'y-websocket']) {
      assert.ok(name in pkg.devDependencies, `${name} is a devDependency`);
      assert.ok(!(name in pkg.dependencies), `${name} is not a dependency`);
    }
    assert.ok(!Object.keys(pkg.dependencies).some((name) => name.startsWith('@codemirror/')));
  });
});
