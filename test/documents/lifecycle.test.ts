import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { captureLogger } from '../helpers/captureLogger.js';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

describe('documents: session creation and live state', () => {
  let server: TestServer;
  let sync: ControllableSyncLayer;
  const routeSeenAtInit = new Map<string, boolean>();
  const logs = captureLogger('info');
  const raws: RawClient[] = [];

  before(async () => {
    server = await startTestServer({
      config: { graceMs: 150 },
      logger: logs.logger,
      wrapSyncLayer: (layer) => {
        sync = new ControllableSyncLayer(layer, async (docKey) => {
          routeSeenAtInit.set(docKey, (await server.stores.routing.getRoute(docKey)) !== null);
        });
        return sync;
      },
    });
  });
  after(async () => {
    for (const raw of raws) raw.close();
    await server.close();
  });

  const connect = async (doc: string) => {
    const raw = RawClient.connect(server.url, doc, ['Bearer', await server.token()]);
    raws.push(raw);
    assert.equal(await raw.outcome(), 'open');
    return raw;
  };

  /** What another node attaching to the sync layer would load. */
  const syncState = async (key: string) => {
    const observer = new MemorySyncLayer('observer', server.hub);
    const attachment = await observer.attach(key, { onRemoteUpdate: () => undefined, onRemoteAwareness: () => undefined, onResyncNeeded: () => undefined });
    await attachment.detach();
    return attachment.state;
  };

  it('LIFE-1/LIFE-4/LIFE-5: the first connect creates everything: sync state first, then the routing pin to this region', async () => {
    await connect('created');
    const key = server.key('created');
    const route = await server.stores.routing.getRoute(key);
    assert.equal(route?.region, 'local');
    assert.equal(route?.nodeId, server.server.nodeId);
    assert.equal(route?.tenantId, 'acme');
    assert.equal(routeSeenAtInit.get(key), false, 'sync layer initialised before the routing row existed');
    assert.deepEqual(sync.calls.filter((call) => call.endsWith(key)), [`init ${key}`, `attach ${key}`]);
    assert.equal(await server.stores.routing.countConnections(key), 1);
  });

  it('LIFE-6: an update is in the sync layer before anyone, the sender included, sees it', async () => {
    const writer = await connect('live');
    const reader = await connect('live');
    sync.hold();
    writer.send(updateFrame(textUpdate('held back')));
    await eventually(() => sync.calls.includes(`append ${server.key('live')}`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = (raw: RawClient) => raw.frames.some((frame) => frame.type === 0 && frame.subType === 2);
    assert.equal(seen(writer) || seen(reader), false, 'nobody saw an update that is not stored yet');
    sync.release();
    await eventually(() => seen(writer) && seen(reader));
    assert.equal(textOf([await syncState(server.key('live'))]), 'held back');
  });

  it('LIFE-7: one client leaving removes its active_sessions row at once; the others go on', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'leaving', { token });
    const b = connectClient(server.url, 'leaving', { token });
    await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
    const key = server.key('leaving');
    assert.equal(await server.stores.routing.countConnections(key), 2);
    destroyAll([a.provider]);
    await eventually(() => server.server.documents.getSession(key)?.connectionCount === 1);
    await eventually(async () => (await server.stores.routing.countConnections(key)) === 1);
    b.doc.getText('t').insert(0, 'still here');
    const c = connectClient(server.url, 'leaving', { token });
    await waitForSync(c.provider);
    await eventually(() => c.doc.getText('t').toString() === 'still here');
    destroyAll([b.provider, c.provider]);
  });

  it('OPS-3: one log line when a session is created and one when it ends, with the reason', async () => {
    const raw = await connect('logged');
    raw.close();
    const key = server.key('logged');
    await eventually(() => logs.lines.some((line) => line.msg === 'document session ended' && line.docKey === key), 3000);
    const created = logs.lines.filter((line) => line.msg === 'document session created' && line.docKey === key);
    const ended = logs.lines.filter((line) => line.msg === 'document session ended' && line.docKey === key);
    assert.equal(created.length, 1);
    assert.equal(ended.length, 1);
    assert.equal(ended[0].reason, 'idle-timeout');
    assert.equal(created[0].tenantId, 'acme');
  });
});
