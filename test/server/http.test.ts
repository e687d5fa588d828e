import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { loadServeConfig } from '../../src/config.js';
import { openControlStores } from '../../src/routing/controlStores.js';
import { createEventLogStorage } from '../../src/storage/createEventLogStorage.js';
import { WiresocketServer } from '../../src/server/wiresocketServer.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

/** The node's HTTP base URL (the test server reports its WebSocket URL). */
function httpBase(server: { url: string }): string {
  return server.url.replace(/^ws:/, 'http:');
}

async function request(server: { url: string }, path: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; body: unknown }> {
  const response = await fetch(`${httpBase(server)}${path}`, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

describe('HTTP endpoints (OPS-1, OPS-2)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  it('OPS-1: GET /healthz answers 200 with JSON', async () => {
    const response = await request(server, '/healthz');
    assert.equal(response.status, 200);
    assert.match(response.type ?? '', /^application\/json/);
    assert.deepEqual(response.body, { status: 'ok' });
  });

  it('OPS-1: a query string does not change the route; HEAD is answered too', async () => {
    assert.equal((await request(server, '/healthz?probe=1')).status, 200);
    const head = await fetch(`${httpBase(server)}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('OPS-8: GET /metrics answers Prometheus text: event-loop delay, RSS, open sockets, sessions, limit hits', async () => {
    const token = await server.token();
    const socket = new WebSocket(`${server.url}/metrics-doc`, ['Bearer', token]);
    await new Promise((resolve) => socket.once('message', resolve));
    const response = await fetch(`${httpBase(server)}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes', 'wiresocket_limit_hits_total']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.match(text, /^wiresocket_open_sockets 1$/m);
    assert.match(text, /^wiresocket_document_sessions 1$/m);
    socket.close();
  });

  it('OPS-2: GET /readyz answers 200 while the stores answer', async () => {
    const response = await request(server, '/readyz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { ready: true });
  });

  it('HTTP (no SPEC rule): an unknown path answers 404 with a hint about WebSocket documents', async () => {
    const response = await request(server, '/no-such-endpoint');
    assert.equal(response.status, 404);
    assert.match(JSON.stringify(response.body), /WebSocket/);
  });

  for (const method of ['POST', 'PUT', 'DELETE']) {
    it(`HTTP (no SPEC rule): ${method} answers 405 on known and unknown paths`, async () => {
      for (const path of ['/healthz', '/readyz', '/anything']) {
        const response = await request(server, path, { method, body: method === 'DELETE' ? undefined : '{}' });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.deepEqual(response.body, { error: 'method not allowed' });
      }
    });
  }
});

describe('readiness when the routing store is gone (OPS-2)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  // close() tolerates the closed store: removeNode fails and is logged, stores.close() is idempotent.
  after(async () => server.close());

  it('OPS-2: /readyz answers 503 after the routing store is closed; /healthz still 200', async () => {
    assert.equal((await request(server, '/readyz')).status, 200);
    await server.stores.routing.close();
    assert.equal(server.stores.database.closed, true, 'closing the routing table closes the shared database');
    const response = await request(server, '/readyz');
    assert.equal(response.status, 503);
    assert.equal((response.body as { ready: boolean }).ready, false);
    assert.equal((await request(server, '/healthz')).status, 200);
  });
});

/** A memory sync layer whose backend can be made to fail or to hang. */
class SwitchableSyncLayer extends MemorySyncLayer {
  mode: 'answer' | 'fail' | 'hang' = 'answer';

  override ping(): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(new Error('sync backend unreachable'));
    if (this.mode === 'hang') return new Promise<void>(() => undefined);
    return Promise.resolve();
  }
}

/** A real node like startTestServer's, but with the given sync layer. */
async function startNodeWith(syncLayer: SwitchableSyncLayer): Promise<{ url: string; close(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'wiresocket-http-'));
  const config = loadServeConfig({ 'data-dir': dataDir, port: '0', 'log-level': 'silent' }, {});
  const stores = await openControlStores({ url: config.dbUrl });
  const boardStorage = await createEventLogStorage({ url: config.storageUrl });
  const server = await WiresocketServer.start({ config, routing: stores.routing, tenants: stores.tenants, syncLayer, boardStorage });
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await Promise.all([stores.close(), boardStorage.close()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describe('readiness when the sync layer does not answer (OPS-2)', () => {
  const syncLayer = new SwitchableSyncLayer('http-test-node');
  let node: { url: string; close(): Promise<void> };
  before(async () => {
    node = await startNodeWith(syncLayer);
  });
  after(async () => node.close());

  it('OPS-2: /readyz answers 503 while the sync layer ping fails, and 200 again once it answers', async () => {
    syncLayer.mode = 'fail';
    const failing = await request(node, '/readyz');
    assert.equal(failing.status, 503);
    assert.deepEqual(failing.body, { ready: false, error: 'sync backend unreachable' });
    syncLayer.mode = 'answer';
    assert.equal((await request(node, '/readyz')).status, 200);
  });

  it('OPS-2: /readyz answers 503 (not never) when a store hangs', async () => {
    syncLayer.mode = 'hang';
    const started = Date.now();
    const response = await request(node, '/readyz');
    assert.equal(response.status, 503);
    assert.match(JSON.stringify(response.body), /did not answer in time/);
    assert.ok(Date.now() - started < 5_000);
    syncLayer.mode = 'answer';
  });
});
