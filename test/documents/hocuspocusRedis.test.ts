import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { WebsocketProvider } from 'y-websocket';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync } from '../helpers/hocuspocusClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, redisAnswers, standaloneRedisUrl } from '../sync/redisTestSupport.js';

/** The only place this file reads the environment: in CI a missing Redis is a failure. */
const ci = process.env.CI === 'true';
const available = await redisAnswers();

describe('the Hocuspocus dialect on the Redis shape', { skip: available || ci ? false : 'Redis is not answering on 127.0.0.1:6379' }, () => {
  const keyPrefix = `ws-test-${randomUUID()}`;
  const redisNode = (nodeId: string) => new RedisSyncLayer({ nodeId, url: standaloneRedisUrl, keyPrefix });
  let nodeA: TestServer;
  let nodeB: TestServer;
  const providers: HocuspocusProvider[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  const stock: WebsocketProvider[] = [];

  before(async () => {
    assert.ok(available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    nodeA = await startTestServer({ config: { nodeId: 'hocus-redis-a' }, createSyncLayer: redisNode });
    nodeB = await startTestServer({ config: { nodeId: 'hocus-redis-b' }, createSyncLayer: redisNode, shareWith: nodeA });
  });
  after(async () => {
    destroyHocuspocus(providers, sockets);
    destroyAll(stock);
    await nodeB?.close();
    await nodeA?.close();
    if (!available) return;
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  it('HOCUS-10/HOCUS-6/HOCUS-7: Hocuspocus on one node and y-websocket on the other converge; edits are acknowledged; awareness crosses nodes', async () => {
    const token = await nodeA.token();
    const socketA = hocuspocusSocket(nodeA.url);
    const socketB = hocuspocusSocket(nodeB.url);
    sockets.push(socketA, socketB);
    const hocusA = connectHocuspocus(socketA, 'redis-notes', token);
    const hocusB = connectHocuspocus(socketB, 'redis-notes', token);
    providers.push(hocusA.provider, hocusB.provider);
    const y = connectClient(nodeB.url, 'redis-notes', { token });
    stock.push(y.provider);
    await Promise.all([waitForHocuspocusSync(hocusA.provider), waitForHocuspocusSync(hocusB.provider), waitForSync(y.provider)]);
    hocusA.doc.getText('t').insert(0, 'A;');
    hocusB.doc.getText('t').insert(0, 'B;');
    y.doc.getText('t').insert(0, 'Y;');
    const same = () => [hocusA.doc, hocusB.doc].every((doc) => doc.getText('t').length === 6 && doc.getText('t').toString() === y.doc.getText('t').toString());
    await eventually(same, 5000, 'convergence through Redis');
    await eventually(() => !hocusA.provider.hasUnsyncedChanges && !hocusB.provider.hasUnsyncedChanges, 5000, 'edits acknowledged');
    hocusA.provider.setAwarenessField('user', 'on-a');
    await eventually(() => y.provider.awareness.getStates().get(hocusA.doc.clientID)?.user === 'on-a', 5000, 'awareness from node A reaches node B');
  });

  it('HOCUS-12: a stateless message reaches the document\'s other connections on both nodes, not its sender, and is never stored', async () => {
    const token = await nodeA.token();
    const [socketA, socketB] = [hocuspocusSocket(nodeA.url), hocuspocusSocket(nodeB.url)];
    sockets.push(socketA, socketB);
    const sender = connectHocuspocus(socketA, 'redis-stateless', token);
    const sameNode = connectHocuspocus(socketA, 'redis-stateless', token, undefined, { sessionAwareness: true });
    const otherNode = connectHocuspocus(socketB, 'redis-stateless', token);
    const otherDocument = connectHocuspocus(socketB, 'redis-stateless-other', token);
    const clients = [sender, sameNode, otherNode, otherDocument];
    providers.push(...clients.map((client) => client.provider));
    await Promise.all(clients.map((client) => waitForHocuspocusSync(client.provider)));
    const heard = clients.map(() => [] as string[]);
    clients.forEach((client, index) => client.provider.on('stateless', ({ payload }: { payload: string }) => heard[index]!.push(payload)));
    const payload = JSON.stringify({ kind: 'cursor-ping', text: 'grüße ✓' });
    sender.provider.sendStateless(payload);
    await eventually(() => heard[1]!.length === 1 && heard[2]!.length === 1, 5000, 'both other connections heard it');
    otherNode.provider.sendStateless('from B');
    await eventually(() => heard[0]!.includes('from B') && heard[1]!.includes('from B'), 5000, 'node B to node A');
    assert.deepEqual(heard, [['from B'], [payload, 'from B'], [payload], []]);
    for (const node of [nodeA, nodeB]) {
      const state = node.server.documents.getSession(node.key('redis-stateless'))?.encodeState();
      assert.deepEqual(state && [...state], [0, 0], 'nothing stored');
    }
  });
});
