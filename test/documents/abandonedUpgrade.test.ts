import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

describe('documents: a client that gives up during its upgrade', () => {
  let server: TestServer;
  let releaseInit: () => void = () => undefined;
  before(async () => {
    server = await startTestServer({
      config: { graceMs: 100, handshakeTimeoutMs: 300 },
      wrapSyncLayer: (layer) =>
        new ControllableSyncLayer(layer, () => new Promise<void>((resolve) => (releaseInit = resolve))),
    });
  });
  after(async () => server.close());

  it('LIFE-7/LIFE-10: a client that hangs up leaves no connection row behind and its session still ends', async () => {
    const ws = new WebSocket(`${server.url}/abandoned`, ['Bearer', await server.token()]);
    ws.on('error', () => undefined);
    const key = server.key('abandoned');
    // Session creation is stuck in the sync layer; the client hangs up meanwhile.
    await eventually(() => server.server.documents.size === 1);
    ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 50));
    releaseInit();
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, 3000, 'the session to end');
    assert.equal(await server.stores.routing.countConnections(key), 0);
    assert.equal(server.server.documents.getSession(key), null);
  });

  it('LIM-5/LIFE-10: admission outlasting the handshake deadline drops the socket and gives its place back', async () => {
    const ws = new WebSocket(`${server.url}/too-slow`, ['Bearer', await server.token()]);
    ws.on('error', () => undefined);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    const key = server.key('too-slow');
    await eventually(() => server.server.documents.size === 1);
    await closed; // the deadline (300 ms) passes while session creation is stuck
    releaseInit();
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, 3000, 'the session to end');
    assert.equal(await server.stores.routing.countConnections(key), 0);
  });
});
