import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { step1Frame, textOf } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, keysUnder, redisAnswers, standaloneRedisUrl } from '../sync/redisTestSupport.js';

/** The only place this file reads the environment: in CI a missing Redis is a failure. */
const ci = process.env.CI === 'true';
const available = await redisAnswers();

describe('cluster shape: two nodes on one Redis', { skip: available || ci ? false : 'Redis is not answering on 127.0.0.1:6379' }, () => {
  const keyPrefix = `ws-test-${randomUUID()}`;
  let nodeA: TestServer;
  let nodeB: TestServer;
  // A short periodic check, so a test does not wait the default 10 s for a node to notice lost keys.
  const redisNode = (nodeId: string) => new RedisSyncLayer({ nodeId, url: standaloneRedisUrl, keyPrefix, resyncIntervalMs: 200 });

  before(async () => {
    assert.ok(available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    nodeA = await startTestServer({ config: { graceMs: 300, nodeId: 'redis-a' }, createSyncLayer: redisNode });
    nodeB = await startTestServer({ config: { graceMs: 300, nodeId: 'redis-b' }, createSyncLayer: redisNode, shareWith: nodeA });
  });
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await nodeB?.close();
    await nodeA?.close();
    if (!available) return;
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  it('PROTO-9/LIFE-6: stock clients on two nodes converge through Redis; the session ends for both after the grace', async () => {
    const token = await nodeA.token();
    const onA = connectClient(nodeA.url, 'through-redis', { token });
    const onB = connectClient(nodeB.url, 'through-redis', { token });
    await Promise.all([waitForSync(onA.provider), waitForSync(onB.provider)]);
    onA.doc.getText('t').insert(0, 'A;');
    onB.doc.getText('t').insert(0, 'B;');
    await eventually(() => onA.doc.getText('t').length === 4 && onA.doc.getText('t').toString() === onB.doc.getText('t').toString(), 5000);

    const late = connectClient(nodeB.url, 'through-redis', { token });
    await waitForSync(late.provider);
    await eventually(() => late.doc.getText('t').toString() === onA.doc.getText('t').toString());

    const admin = adminClient();
    assert.ok((await keysUnder(admin, keyPrefix)).length > 0, 'the document lives in Redis');
    destroyAll([onA.provider, onB.provider, late.provider]);
    const key = nodeA.key('through-redis');
    await eventually(async () => (await nodeA.stores.routing.getRoute(key)) === null, 5000, 'unpin after the grace');
    await eventually(async () => (await keysUnder(admin, keyPrefix)).length === 0, 5000, 'Redis keys deleted');
    admin.disconnect();
  });

  it('CLUSTER-6: Redis losing every key mid-session (a restart without persistence) is re-seeded from the nodes; nothing acknowledged is lost', async () => {
    const token = await nodeA.token();
    const key = nodeA.key('amnesia');
    // Bare sockets keep both sessions open while holding no state a client could re-upload.
    const keepers = [RawClient.connect(nodeA.url, 'amnesia', ['Bearer', token]), RawClient.connect(nodeB.url, 'amnesia', ['Bearer', token])];
    await Promise.all(keepers.map((keeper) => keeper.opened));
    for (const keeper of keepers) keeper.send(step1Frame());
    const writers = [connectClient(nodeA.url, 'amnesia', { token }), connectClient(nodeB.url, 'amnesia', { token })];
    await Promise.all(writers.map(({ provider }) => waitForSync(provider)));
    writers[0].doc.getText('t').insert(0, 'written on A;');
    writers[1].doc.getText('t').insert(0, 'written on B;');
    const sessionText = (node: TestServer) => textOf([node.server.documents.getSession(key)?.encodeState() ?? new Uint8Array([0, 0])]);
    await eventually(() => sessionText(nodeA).length === 26 && sessionText(nodeB) === sessionText(nodeA), 5000, 'both nodes to hold both edits');
    destroyAll(writers.map(({ provider }) => provider));

    const admin = adminClient();
    const probe = redisNode('probe');
    // A failing assertion must not leave sockets that keep the test process alive.
    cleanups.push(async () => {
      for (const keeper of keepers) keeper.close();
      admin.disconnect();
      await probe.close();
    });
    await deleteKeysUnder(admin, keyPrefix);
    const storedText = async () => {
      const attachment = await probe.attach(key, { onRemoteUpdate: () => undefined, onRemoteAwareness: () => undefined, onResyncNeeded: () => undefined }).catch(() => null);
      await attachment?.detach();
      return attachment ? textOf([attachment.state]) : null;
    };
    await eventually(async () => (await storedText()) === sessionText(nodeA), 8000, 'Redis to hold the whole document again');

    const late = connectClient(nodeB.url, 'amnesia', { token });
    await waitForSync(late.provider);
    assert.equal(late.doc.getText('t').toString(), sessionText(nodeA));
    late.doc.getText('t').insert(0, 'after;');
    const other = connectClient(nodeA.url, 'amnesia', { token });
    await waitForSync(other.provider);
    await eventually(() => other.doc.getText('t').toString() === late.doc.getText('t').toString() && other.doc.getText('t').length === 32, 5000, 'convergence after the repair');
    destroyAll([late.provider, other.provider]);
  });
});
