import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

const isUpdate = (frame: { type: number; subType: number | null }) => frame.type === 0 && (frame.subType === 1 || frame.subType === 2);

describe('documents: reconciling with the sync layer', () => {
  let server: TestServer;
  let sync: ControllableSyncLayer;
  before(async () => {
    server = await startTestServer({ wrapSyncLayer: (layer) => (sync = new ControllableSyncLayer(layer)) });
  });
  after(async () => server.close());

  it('CLUSTER-6: an update stored although its append failed (a lost reply) still reaches everyone, without the sender resending', async () => {
    const token = await server.token();
    const writer = RawClient.connect(server.url, 'lost-reply', ['Bearer', token]);
    const reader = RawClient.connect(server.url, 'lost-reply', ['Bearer', token]);
    await Promise.all([writer.opened, reader.opened]);
    await reader.waitForFrame((frame) => frame.type === 0);
    sync.loseReplies = true;
    writer.send(updateFrame(textUpdate('stored after all')));
    assert.equal((await writer.waitForClose()).code, 4503, 'unconfirmed: the sender is told to retry');
    sync.loseReplies = false;
    // The writer never comes back: only the session's reconciliation can bring the update.
    const delivered = await reader.waitForFrame((frame) => isUpdate(frame) && textOf([frame.payload!]) === 'stored after all');
    assert.ok(delivered);
    assert.equal(textOf([server.server.documents.getSession(server.key('lost-reply'))!.encodeState()]), 'stored after all');
    reader.close();
  });

  it('CLUSTER-5: while the sync layer is unreachable new connects get 4503; once it is back they are served', async () => {
    const token = await server.token();
    sync.reachable = false;
    const refused = RawClient.connect(server.url, 'unreachable', ['Bearer', token]);
    assert.deepEqual(await refused.outcome(), { code: 4503, reason: 'STORE_UNAVAILABLE' });
    assert.equal(await server.stores.routing.getRoute(server.key('unreachable')), null, 'nothing was created');
    sync.reachable = true;
    const served = RawClient.connect(server.url, 'unreachable', ['Bearer', token]);
    assert.equal(await served.outcome(), 'open');
    served.close();
    await eventually(async () => (await server.stores.routing.countConnections(server.key('unreachable'))) === 0);
  });
});
