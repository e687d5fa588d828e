import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

interface UpgradeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends an upgrade request and reports the plain HTTP answer (or 101). */
function upgrade(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
    });
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the upgrade gate: URL length, origins, connects per IP (LIM-17, LIM-18, LIM-19)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: { allowedOrigins: ['https://app.example.com'], maxConnectsPerIpPerMinute: 8, maxUrlBytes: 1024 },
    });
  });
  after(async () => server.close());

  it('LIM-17: a URL over --max-url-bytes is refused with HTTP 414 before it is parsed', async () => {
    const answer = await upgrade(server, `/${'a'.repeat(2000)}`);
    assert.equal(answer.status, 414);
    assert.match(answer.body, /longer than 1024 bytes/);
  });

  it('LIM-18: an Origin not on --allowed-origins gets 403; a listed one (any case) and none at all are let through', async () => {
    const token = await server.token();
    const forbidden = await upgrade(server, '/origin-doc', { Origin: 'https://evil.example', 'Sec-WebSocket-Protocol': `Bearer, ${token}` });
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body, /--allowed-origins/);
    for (const origin of ['https://APP.example.com', undefined]) {
      const client = RawClient.connect(server.url, 'origin-doc', ['Bearer', token], origin ? { Origin: origin } : undefined);
      assert.equal(await client.outcome(), 'open', `origin ${origin}`);
      client.close();
    }
  });

  it('LIM-19: past --max-connects-per-ip-per-minute an upgrade gets HTTP 429 with Retry-After', async () => {
    const token = await server.token();
    const answers: number[] = [];
    let last: UpgradeAnswer | null = null;
    for (let i = 0; i < 10; i++) {
      last = await upgrade(server, '/storm', { 'Sec-WebSocket-Protocol': `Bearer, ${token}` });
      answers.push(last.status);
    }
    // The three connects of the tests above count too: 8 per minute in all.
    assert.ok(answers.includes(101), answers.join(','));
    assert.equal(answers.filter((status) => status === 429).length, 10 - answers.filter((status) => status === 101).length);
    assert.equal(last?.status, 429);
    const retryAfter = Number(last?.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.ok((await server.server.metrics.hitsOf('connects-per-ip')) >= 1);
    const health = await fetch(server.url.replace(/^ws:/, 'http:') + '/healthz');
    assert.equal(health.status, 200, 'plain HTTP is not counted');
  });
});

describe('the per-IP connect limit at 0 (LIM-19)', () => {
  it('LIM-19: 0 turns it off', async () => {
    const server = await startTestServer({ config: { maxConnectsPerIpPerMinute: 0 } });
    try {
      for (let i = 0; i < 30; i++) assert.equal((await upgrade(server, '/many')).status, 101);
    } finally {
      await server.close();
    }
  });
});
