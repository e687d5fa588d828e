import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

describe('documents: sync layer failures', () => {
  let server: TestServer;
  let sync: ControllableSyncLayer;
  before(async () => {
    server = await startTestServer({ wrapSyncLayer: (layer) => (sync = new ControllableSyncLayer(layer)) });
  });
  after(async () => server.close());

  it('LIM-7/LIFE-6: an update the sync layer could not store is seen by nobody; its sender gets 4503', async () => {
    const token = await server.token();
    const writer = RawClient.connect(server.url, 'fragile', ['Bearer', token]);
    const reader = RawClient.connect(server.url, 'fragile', ['Bearer', token]);
    await Promise.all([writer.opened, reader.opened]);
    sync.failAppends = true;
    writer.send(updateFrame(textUpdate('lost in transit')));
    assert.equal((await writer.waitForClose()).code, 4503);
    sync.failAppends = false;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reader.frames.filter((frame) => frame.type === 0 && frame.subType === 2).length, 0);
    assert.equal(textOf([server.server.documents.getSession(server.key('fragile'))!.encodeState()]), '');

    // The sender's client resends after reconnecting; then everyone has it.
    const retry = RawClient.connect(server.url, 'fragile', ['Bearer', token]);
    await retry.opened;
    retry.send(updateFrame(textUpdate('lost in transit')));
    await reader.waitForFrame((frame) => frame.type === 0 && frame.subType === 2);
    reader.close();
    retry.close();
  });
});

describe('documents: the routing store gone mid-session', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  it('LIM-7: new connects get 4503 while the routing store is down; an open session keeps serving its clients', async () => {
    const token = await server.token();
    const writer = RawClient.connect(server.url, 'steady', ['Bearer', token]);
    const reader = RawClient.connect(server.url, 'steady', ['Bearer', token]);
    await Promise.all([writer.opened, reader.opened]);
    await reader.waitForFrame((frame) => frame.type === 0);
    await server.stores.routing.close();
    const late = RawClient.connect(server.url, 'another', ['Bearer', token]);
    assert.equal((await late.waitForClose()).code, 4503);
    writer.send(updateFrame(textUpdate('still served')));
    await reader.waitForFrame((frame) => frame.type === 0 && frame.subType === 2);
    assert.equal(textOf([server.server.documents.getSession(server.key('steady'))!.encodeState()]), 'still served');
    writer.close();
    reader.close();
  });
});
