import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { step1Frame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { openSlowControlStores, type SlowControlStores } from '../helpers/slowControlStores.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, redisAnswers, standaloneRedisUrl } from '../sync/redisTestSupport.js';

/** The only place this file reads the environment: in CI a missing Redis is a failure. */
const ci = process.env.CI === 'true';
const redisUp = await redisAnswers();

/**
 * Issue 15, point 8: what one connect asks the global routing store, counted (not timed) on a
 * store that counts every request. Connects are made one at a time, so no group commit hides a
 * round trip: these are the costs of a lone connect.
 */
describe('REGION-14: the routing-store round trips of one connect', () => {
  let server: TestServer;
  let stores: SlowControlStores;
  const clients: RawClient[] = [];
  before(async () => {
    server = await startTestServer({
      config: { maxConnectsPerIpPerMinute: 0, graceMs: 60_000 },
      openControlStores: async (url) => (stores = await openSlowControlStores({ url, delayMs: 0 })),
    });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  /** Connects, waits for the server's step 2, and answers the round trips it took. */
  const connectCost = async (name: string) => {
    const token = await server.token();
    stores.counters.reset();
    const client = RawClient.connect(server.url, name, ['Bearer', token]);
    clients.push(client);
    await client.opened;
    client.send(step1Frame());
    await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 1);
    return { client, roundTrips: stores.counters.roundTrips };
  };

  it('REGION-14: a connect to a document live on this node waits on the store once (its active_sessions row); a first connect three times', async () => {
    await connectCost('warm-up'); // the app's key is read once, then cached
    const first = await connectCost('cost-doc');
    assert.equal(first.roundTrips, 3, 'creation check, pin, connection row');
    for (let index = 0; index < 3; index++) assert.equal((await connectCost('cost-doc')).roundTrips, 1, 'only the connection row');
  });

  it('REGION-14: a connect that rejoins a document in its grace waits once: its row and the route it must still hold, in one batch', async () => {
    const { client } = await connectCost('cost-grace');
    client.close();
    await eventually(() => server.server.documents.getSession(server.key('cost-grace'))?.lifecycle.state.kind === 'idle', 5_000, 'the grace');
    assert.equal((await connectCost('cost-grace')).roundTrips, 1);
  });
});

/**
 * Point 8 for a region of two nodes on one real Redis: the document is live on node A, and a
 * client connects to node B, which has no session of it yet. B learns from the region's Redis
 * that the region holds it and proves the route with its connection row in one batch.
 */
describe('REGION-16: a connect to a document live on another node of the region', { skip: redisUp || ci ? false : 'Redis is not answering on 127.0.0.1:6379' }, () => {
  const keyPrefix = `cost-${randomUUID()}`;
  let nodeA: TestServer;
  let nodeB: TestServer;
  let storesB: SlowControlStores;
  const clients: RawClient[] = [];
  const providers: WebsocketProvider[] = [];
  const layer = (nodeId: string) => new RedisSyncLayer({ nodeId, url: standaloneRedisUrl, keyPrefix });
  before(async () => {
    const config = { maxConnectsPerIpPerMinute: 0, graceMs: 60_000 };
    nodeA = await startTestServer({ config, createSyncLayer: layer });
    nodeB = await startTestServer({
      config,
      createSyncLayer: layer,
      shareWith: nodeA,
      openControlStores: async (url) => (storesB = await openSlowControlStores({ url, delayMs: 0 })),
    });
  });
  after(async () => {
    for (const client of clients) client.close();
    destroyAll(providers);
    await nodeB.close();
    await nodeA.close();
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  const connectToB = async (name: string) => {
    const token = await nodeB.token();
    storesB.counters.reset();
    const client = RawClient.connect(nodeB.url, name, ['Bearer', token]);
    clients.push(client);
    await client.opened;
    client.send(step1Frame());
    await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 1);
    return storesB.counters.roundTrips;
  };

  it('REGION-16: a connect to a document live on another node of this region waits on the routing store once, and is served under its route', async () => {
    await connectToB('b-warm-up'); // B reads the app's key once, then caches it
    const writer = connectClient(nodeA.url, 'live-on-a', { token: await nodeA.token() });
    providers.push(writer.provider);
    await waitForSync(writer.provider);
    writer.doc.getText('t').insert(0, 'from a');
    await eventually(async () => (await nodeB.stores.routing.getRoute(nodeA.key('live-on-a'))) !== null, 5_000, 'the pin');
    assert.equal(await connectToB('live-on-a'), 1, 'its connection row and the route, in one batch');
    const route = await nodeB.stores.routing.getRoute(nodeA.key('live-on-a'));
    assert.equal(nodeB.server.documents.getSession(nodeA.key('live-on-a'))?.epoch, route?.epoch, 'served under the epoch of the route');
    assert.equal(await nodeB.stores.routing.countConnections(nodeA.key('live-on-a')), 2, 'both rows count');
    const reader = connectClient(nodeB.url, 'live-on-a', { token: await nodeB.token() });
    providers.push(reader.provider);
    await eventually(() => reader.doc.getText('t').toString() === 'from a', 5_000, "B serves A's document");
  });

  it("REGION-16: the region's copy is only a hint: a leftover of a document now pinned to another region is not served, its row goes, the copy is dropped", async () => {
    const name = 'pinned-to-b';
    const docKey = nodeA.key(name);
    const layerOfTest = layer('test-writer');
    await layerOfTest.initDocument(docKey);
    // Region b holds the pin and has a live node (it beats): nothing here may serve the document.
    await nodeA.stores.routing.heartbeat({ nodeId: 'ghost-b1', region: 'b', url: 'ws://127.0.0.1:9' });
    await nodeA.stores.routing.pinDocument({ docKey, tenantId: nodeA.app.tenantId, region: 'b', nodeId: 'ghost-b1' });
    const token = await nodeB.token();
    storesB.counters.reset();
    const client = RawClient.connect(nodeB.url, name, ['Bearer', token]);
    clients.push(client);
    assert.equal((await client.closed).code, 1013, 'pinned to another region, and this node has no cluster secret to proxy');
    assert.equal(nodeB.server.documents.getSession(docKey), null);
    await eventually(async () => (await nodeB.stores.routing.countConnections(docKey)) === 0, 5_000, 'the hinted row is removed');
    await eventually(async () => !(await layerOfTest.holdsDocument(docKey)), 5_000, "the region's leftover copy is dropped");
    await layerOfTest.close();
    await nodeA.stores.routing.removeNode('ghost-b1');
  });
});
