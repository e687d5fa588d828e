import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { openLibsqlControlStores, type LibsqlControlStores } from '../../src/routing/controlStores.js';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { documentKey } from '../../src/tenancy/documentKey.js';
import { waitForAgreement } from '../helpers/clusterAgreement.js';
import { fetchNodeState, snapshotOfUpdate, type DocumentShape } from '../helpers/nodeState.js';
import { runEditPhase, sleep, type Editor } from '../helpers/randomEditors.js';
import { startServeCluster, type ServeCluster } from '../helpers/serveCluster.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, sharedRedisGate, standaloneRedisUrl } from '../sync/redisTestSupport.js';

const gate = await sharedRedisGate();
const nodeTimeoutMs = 3_000;
const heartbeatIntervalMs = 500;
const shape: DocumentShape = { texts: ['t'], maps: ['m'] };
// Each stock provider adds a process 'exit' listener (y-websocket does, in Node): 9 clients here.
process.setMaxListeners(Math.max(process.getMaxListeners(), 20));

/** What Redis holds for the document right now (state plus stream, merged), read as a node would. */
async function storedState(probe: RedisSyncLayer, docKey: string): Promise<Uint8Array> {
  const attachment = await probe.attach(docKey, { onRemoteUpdate: () => undefined, onRemoteAwareness: () => undefined, onResyncNeeded: () => undefined });
  await attachment.detach();
  return attachment.state;
}

/** Whether everything in `part` is already in `whole` (applying it changes nothing). */
function contains(whole: Uint8Array, part: Uint8Array): boolean {
  const before = snapshotOfUpdate(whole, shape);
  const after = snapshotOfUpdate(Y.mergeUpdates([whole, part]), shape);
  return before.stateVector === after.stateVector && before.content === after.content;
}

describe('cluster: a node killed with SIGKILL mid-edit', { skip: gate.skip }, () => {
  const keyPrefix = `ws-kill-${randomUUID().slice(0, 8)}`;
  const docName = 'killed-mid-edit';
  const providers: WebsocketProvider[] = [];
  let cluster: ServeCluster | undefined;
  let proxy: TcpProxy | undefined;
  let stores: LibsqlControlStores | undefined;
  let probe: RedisSyncLayer | undefined;

  before(async () => {
    assert.ok(gate.available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    cluster = await startServeCluster({
      redisUrl: standaloneRedisUrl,
      nodes: 2,
      args: ['--grace-ms', '1000', '--node-timeout-ms', String(nodeTimeoutMs), '--heartbeat-interval-ms', String(heartbeatIntervalMs), '--redis-key-prefix', keyPrefix],
    });
    proxy = await startTcpProxy(cluster.nodes[0].port);
    stores = await openLibsqlControlStores({ url: `file:${path.join(cluster.dataDir, 'wiresocket.db')}` });
    probe = new RedisSyncLayer({ url: standaloneRedisUrl, nodeId: `probe-${randomUUID()}`, keyPrefix });
  });
  after(async () => {
    destroyAll(providers.splice(0));
    await probe?.close();
    await stores?.close();
    await proxy?.close();
    await cluster?.stopAll();
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  const connect = (url: string, token: string) => {
    const connected = connectClient(url, docName, { token });
    providers.push(connected.provider);
    return connected;
  };

  it('CLUSTER-7/CLUSTER-3: its clients reconnect to another node, nothing that reached Redis is lost, its rows are reaped and its awareness states removed', { timeout: 60_000 }, async (t) => {
    assert.ok(cluster && proxy && stores && probe);
    const [doomed, survivor] = cluster.nodes;
    const { token } = cluster;
    const docKey = documentKey('dev', 'demo', docName);
    // Behind "the load balancer" (on the doomed node until it dies) and straight on the survivor.
    const editors: Array<Editor & { name: string; provider: WebsocketProvider }> = [
      ...Array.from({ length: 4 }, (_, index) => ({ index, edits: 0, name: `balanced ${index}`, ...connect(proxy!.url, token) })),
      ...Array.from({ length: 3 }, (_, index) => ({ index: 4 + index, edits: 0, name: `on survivor ${index}`, ...connect(survivor.url, token) })),
    ];
    // Pinned to the doomed node: it cannot follow, so only the cluster can remove its presence.
    const stranded = connect(doomed.url, token);
    await Promise.all([...editors, stranded].map(({ provider }) => waitForSync(provider, 10_000)));
    stranded.provider.awareness.setLocalStateField('user', 'stranded');
    const strandedId = stranded.doc.clientID;
    const survivorsSee = () => editors.slice(4).map(({ provider }) => provider.awareness.getStates().has(strandedId));
    await eventually(() => survivorsSee().every(Boolean), 5000, "the stranded client's awareness on the survivor's clients");
    assert.ok((await stores.routing.countConnections(docKey)) >= 8);

    const editing = runEditPhase(editors, 0xdead, 6_000, 30, 150);
    await sleep(3_000);
    await cluster.kill9(doomed);
    const killedAt = Date.now();
    // Read at once: what had reached Redis when the node died.
    const atKill = await storedState(probe, docKey);
    proxy.setTarget(survivor.port);
    proxy.cutAll();
    const edits = await editing;

    const survivorParty = [{ name: `node ${survivor.nodeId}`, url: survivor.url }];
    const parties = { clients: editors.map(({ name, doc }) => ({ name, doc })), nodes: survivorParty, docName, token, shape };
    await waitForAgreement(parties, 20_000);
    const final = await fetchNodeState(survivor.url, docName, token);
    assert.ok(contains(final, atKill), 'every update that was in Redis at the kill is in the final state');
    assert.ok(contains(await storedState(probe, docKey), final), 'and in Redis');
    const fresh = connect(survivor.url, token);
    await waitForSync(fresh.provider);
    assert.ok(contains(Y.encodeStateAsUpdate(fresh.doc), final) && contains(final, Y.encodeStateAsUpdate(fresh.doc)), 'a fresh client gets it all');

    await eventually(async () => !(await stores!.routing.liveNodeIds(3_600_000)).includes(doomed.nodeId), nodeTimeoutMs + 4 * heartbeatIntervalMs + 2000, 'the dead node to be reaped');
    const reapedAfter = Date.now() - killedAt;
    const rows = await stores.database.client.execute({ sql: 'SELECT COUNT(*) AS n FROM active_sessions WHERE node_id = ?', args: [doomed.nodeId] });
    assert.equal(Number(rows.rows[0]?.n), 0, "the dead node's connection rows are gone");
    await eventually(() => survivorsSee().every((seen) => !seen), 5000, "the stranded client's awareness to be removed");
    t.diagnostic(`${edits} edits; reaped ${reapedAfter} ms after the kill (node timeout ${nodeTimeoutMs} ms); stranded awareness gone ${Date.now() - killedAt} ms after it`);
    assert.ok(Date.now() - killedAt < 20_000, 'well before a stock client would time the state out (30 s)');
  });
});
