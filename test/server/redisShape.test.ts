import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSyncLayer } from '../../src/sync/createSyncLayer.js';
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
  const redisNode = (nodeId: string) => createSyncLayer({ nodeId, redisUrl: standaloneRedisUrl, redisKeyPrefix: keyPrefix });

  before(async () => {
    assert.ok(available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    nodeA = await startTestServer({ config: { graceMs: 300, nodeId: 'redis-a' }, createSyncLayer: redisNode });
    nodeB = await startTestServer({ config: { graceMs: 300, nodeId: 'redis-b' }, createSyncLayer: redisNode, shareWith: nodeA });
  });
  after(async () => {
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
});
