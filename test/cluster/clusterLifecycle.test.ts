import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import { openControlStores, type ControlStores } from '../../src/routing/controlStores.js';
import { documentKey } from '../../src/tenancy/documentKey.js';
import { sleep } from '../helpers/randomEditors.js';
import { startServeCluster, type ClusterNode, type ServeCluster } from '../helpers/serveCluster.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, keysUnder, sharedRedisGate, standaloneRedisUrl } from '../sync/redisTestSupport.js';

const gate = await sharedRedisGate();
const graceMs = 1_500;

/** How many times a node logged a message (its stdout carries pino JSON lines). */
function logged(node: ClusterNode, message: string, docKey: string): number {
  return node.logLines().filter((line) => {
    const entry = JSON.parse(line) as { msg?: string; docKey?: string };
    return entry.msg === message && entry.docKey === docKey;
  }).length;
}

describe('cluster: one document served by two server processes', { skip: gate.skip }, () => {
  const keyPrefix = `ws-life-${randomUUID().slice(0, 8)}`;
  const providers: WebsocketProvider[] = [];
  let cluster: ServeCluster | undefined;
  let stores: ControlStores | undefined;

  before(async () => {
    assert.ok(gate.available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    cluster = await startServeCluster({ redisUrl: standaloneRedisUrl, nodes: 2, logLevel: 'info', args: ['--grace-ms', String(graceMs), '--redis-key-prefix', keyPrefix] });
    stores = await openControlStores({ url: `file:${path.join(cluster.dataDir, 'wiresocket.db')}` });
  });
  after(async () => {
    destroyAll(providers.splice(0));
    await stores?.close();
    await cluster?.stopAll();
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  const connect = async (node: ClusterNode, name: string) => {
    const connected = connectClient(node.url, name, { token: cluster!.token });
    providers.push(connected.provider);
    await waitForSync(connected.provider);
    return connected;
  };

  it('CLUSTER-2: awareness crosses nodes, and a client leaving one node is removed on the other', async () => {
    assert.ok(cluster);
    const [a, b] = cluster.nodes;
    const onA = await connect(a, 'presence');
    const onB = await connect(b, 'presence');
    onA.provider.awareness.setLocalStateField('user', { name: 'on A' });
    onB.provider.awareness.setLocalStateField('user', { name: 'on B' });
    const sees = (viewer: typeof onA, other: typeof onA) => viewer.provider.awareness.getStates().get(other.doc.clientID)?.user;
    await eventually(() => sees(onB, onA)?.name === 'on A' && sees(onA, onB)?.name === 'on B', 5000, 'each to see the other');
    onA.provider.awareness.setLocalStateField('user', { name: 'moved' });
    await eventually(() => sees(onB, onA)?.name === 'moved', 5000, 'the change');
    destroyAll([onA.provider]);
    await eventually(() => !onB.provider.awareness.getStates().has(onA.doc.clientID), 3000, 'the removal on the other node');
    destroyAll([onB.provider]);
  });

  it('CLUSTER-4/LIFE-8/LIFE-10: no grace while another node still has a client; once both are gone exactly one node purges and the Redis keys go', async () => {
    assert.ok(cluster && stores);
    const [a, b] = cluster.nodes;
    const name = 'spread-grace';
    const key = documentKey('dev', 'demo', name);
    const admin = adminClient();
    const redisKeys = async () => (await keysUnder(admin, keyPrefix)).filter((redisKey) => redisKey.includes(Buffer.from(key).toString('base64url')));
    try {
      const onA = await connect(a, name);
      const onB = await connect(b, name);
      onA.doc.getText('t').insert(0, 'A;');
      await eventually(() => onB.doc.getText('t').toString() === 'A;');
      destroyAll([onA.provider]);
      await eventually(() => logged(a, 'document session released on this node; other nodes still serve it', key) === 1, 5000, 'node A to free its copy');
      await sleep(graceMs * 2);
      assert.notEqual(await stores.routing.getRoute(key), null, 'still pinned: node B serves it');
      assert.equal((await redisKeys()).length, 2, 'its Redis keys stay');
      onB.doc.getText('t').insert(2, 'B;');
      const again = await connect(a, name);
      await eventually(() => again.doc.getText('t').toString() === 'A;B;', 5000, 'node A to load it again from Redis');

      destroyAll([again.provider, onB.provider]);
      await eventually(async () => (await stores!.routing.getRoute(key)) === null, graceMs * 4, 'the session to end after the grace');
      await eventually(async () => (await redisKeys()).length === 0, 3000, 'its Redis keys to be deleted');
      await sleep(500);
      assert.equal(logged(a, 'document session ended', key) + logged(b, 'document session ended', key), 1, 'exactly one node ended it');
      assert.equal(await stores.routing.countConnections(key), 0);
    } finally {
      admin.disconnect();
    }
  });
});
