import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';

describe('documents: disconnects and reconnects', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { graceMs: 3000 } });
  });
  after(async () => server.close());

  it('LIFE-13: edits made while the socket was down are uploaded on reconnect', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'offline', { token });
    const b = connectClient(server.url, 'offline', { token });
    await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
    a.doc.getText('t').insert(0, 'online;');
    await eventually(() => b.doc.getText('t').toString() === 'online;');

    const closed = nextClose(a.provider);
    (a.provider.ws as unknown as WebSocket).terminate();
    await closed;
    // The socket is down; the provider reconnects by itself (its first retry is ~100 ms away).
    a.doc.getText('t').insert(7, 'offline;');
    assert.equal(a.provider.wsconnected, false);
    await eventually(() => b.doc.getText('t').toString() === 'online;offline;', 5000, 'offline edit at b');
    assert.ok(a.provider.wsconnected);
    destroyAll([a.provider, b.provider]);
  });

  it('LIFE-13: what reached the server before a client vanished stays with the document', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'vanish', { token });
    await waitForSync(a.provider);
    a.doc.getText('t').insert(0, 'kept');
    await eventually(() => server.server.documents.getSession(server.key('vanish'))?.encodeState().length !== 2);
    a.provider.shouldConnect = false;
    (a.provider.ws as unknown as WebSocket).terminate();
    const b = connectClient(server.url, 'vanish', { token: await server.token({ userId: 'other' }) });
    await waitForSync(b.provider);
    assert.equal(b.doc.getText('t').toString(), 'kept');
    destroyAll([a.provider, b.provider]);
  });

  it('LIFE-14: token renewal (destroy, then a new provider with a fresh token) keeps the session', async () => {
    const doc = new Y.Doc();
    const first = connectClient(server.url, 'renew', { token: await server.token({ ttlSeconds: 60 }), doc });
    await waitForSync(first.provider);
    doc.getText('t').insert(0, 'before renewal');
    await eventually(() => server.server.documents.getSession(server.key('renew'))?.encodeState().length !== 2);
    const pinned = await server.stores.routing.getRoute(server.key('renew'));
    destroyAll([first.provider]);

    const renewed = connectClient(server.url, 'renew', { token: await server.token({ ttlSeconds: 3600 }), doc: new Y.Doc() });
    await waitForSync(renewed.provider);
    assert.equal(renewed.doc.getText('t').toString(), 'before renewal');
    assert.deepEqual(await server.stores.routing.getRoute(server.key('renew')), pinned);
    destroyAll([renewed.provider]);
  });
});
