import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeAwarenessUpdate } from '../../src/documents/encodeServerMessage.js';
import { LibsqlRoutingTable } from '../../src/routing/libsqlRoutingTable.js';
import { MemoryBoardBus } from '../../src/boards/memoryBoardBus.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';

const heartbeatIntervalMs = 100;
const nodeTimeoutMs = 400;

/**
 * One real node beside "ghost" nodes that exist only as rows in the shared routing file and as
 * publishers on the shared sync hub: a ghost that stops beating is what a node killed with
 * SIGKILL leaves behind (test/cluster has the real kill -9 across processes).
 */
describe('cluster membership: heartbeats, reaping dead nodes, fencing', () => {
  let node: TestServer;
  let ghosts: LibsqlRoutingTable;
  before(async () => {
    node = await startTestServer({ config: { heartbeatIntervalMs, nodeTimeoutMs, graceMs: 200, nodeId: 'alive-node' } });
    // A second table on the same database, as another node would hold (not closed: it shares the database).
    assert.ok(node.stores.kind === 'libsql', 'the test server runs on its libSQL file');
    ghosts = new LibsqlRoutingTable(node.stores.database);
  });
  after(async () => node.close());

  const ghostNode = (nodeId: string) => ghosts.heartbeat({ nodeId, region: 'local', url: `ws://${nodeId}` });
  const routed = async (key: string) => (await node.stores.routing.getRoute(key)) !== null;

  it("CLUSTER-3: a node that stops heartbeating is reaped within the node timeout and its documents still end", async () => {
    const [own, shared] = [node.key('ghost-own'), node.key('ghost-shared')];
    await ghostNode('ghost-1');
    await ghosts.pinDocument({ docKey: own, tenantId: node.app.tenantId, region: 'local', nodeId: 'ghost-1' });
    node.hub.init(own);
    await ghosts.addConnection({ connectionId: 'ghost-conn-1', docKey: own, nodeId: 'ghost-1', userId: 'g' });
    await ghosts.addConnection({ connectionId: 'ghost-conn-2', docKey: shared, nodeId: 'ghost-1', userId: 'g' });

    const client = connectClient(node.url, 'ghost-shared', { token: await node.token() });
    await waitForSync(client.provider);
    destroyAll([client.provider]);
    await eventually(() => node.server.documents.getSession(shared) === null, 3000, 'the live node to free its copy');
    assert.ok(await routed(shared), "the ghost's row keeps the document: no grace here");

    const started = Date.now();
    await eventually(async () => !(await routed(own)) && !(await routed(shared)), 4000, 'both documents to end');
    assert.ok(Date.now() - started < nodeTimeoutMs + 6 * heartbeatIntervalMs + 1000, `ended after ${Date.now() - started} ms`);
    assert.ok(!node.hub.has(own) && !node.hub.has(shared), 'their sync state is dropped');
    assert.equal(await node.stores.routing.countConnections(own), 0);
    assert.deepEqual(await node.stores.routing.liveNodeIds(60_000), ['alive-node'], 'the ghost row is gone');
  });

  it("CLUSTER-3: a dead node's clients' awareness states are removed from the live node's clients", async () => {
    const key = node.key('ghost-awareness');
    const client = connectClient(node.url, 'ghost-awareness', { token: await node.token() });
    await waitForSync(client.provider);
    await ghostNode('ghost-2');
    const ghostLayer = new MemorySyncLayer('ghost-2', node.hub);
    await ghostLayer.publishAwareness(key, encodeAwarenessUpdate([{ clientId: 424242, clock: 1, state: JSON.stringify({ user: 'ghost' }) }]));
    await eventually(() => client.provider.awareness.getStates().has(424242), 3000, 'the ghost client to appear');
    // ghost-2 beats no more, as a killed node would.
    await eventually(() => !client.provider.awareness.getStates().has(424242), nodeTimeoutMs + 3000, 'the ghost client to go');
    destroyAll([client.provider]);
  });

  it("BOARD-34/CLUSTER-3: a dead node's board participants are announced as gone to the live node's board sockets", async () => {
    const { client } = await RawBoardClient.join(node.url, 'ghost-board', await node.token({ userId: 'alive-user' }));
    await ghostNode('ghost-3');
    const ghostBus = new MemoryBoardBus('ghost-3', node.boardHub);
    const participant = { userId: 'ghost-user', displayName: 'Ghost', color: '#4ECDC4', joinedAt: Date.now() };
    await ghostBus.publish(node.key('ghost-board'), { kind: 'participant-joined', nodeId: 'ghost-3', participant });
    assert.equal((await client.next('participant-joined')).participant.userId, 'ghost-user');
    // ghost-3 beats no more.
    const left = await client.next('participant-left', () => true, nodeTimeoutMs + 3000);
    assert.equal(left.participant.userId, 'ghost-user');
    assert.deepEqual([...(await node.server.boards.getSessionState(node.key('ghost-board')))!.participants.keys()], ['alive-user']);
    client.close();
  });

  it('CLUSTER-3: a node that finds itself reaped drops its connections; its clients come back and register anew', async () => {
    const key = node.key('fenced');
    const client = connectClient(node.url, 'fenced', { token: await node.token() });
    await waitForSync(client.provider);
    client.doc.getText('t').insert(0, 'kept through the fence');
    await eventually(async () => (await node.stores.routing.countConnections(key)) === 1);
    const closed = nextClose(client.provider, 3000);
    // What reaping this node as dead does to its rows (here while it is alive: a long stall).
    await node.stores.routing.removeNode('alive-node');
    assert.equal((await closed).code, 1012);
    await waitForSync(client.provider);
    await eventually(async () => (await node.stores.routing.countConnections(key)) === 1 && (await routed(key)), 3000, 'registered anew');
    await eventually(() => node.server.documents.getSession(key)?.encodeState().length !== 2, 3000);
    const reader = connectClient(node.url, 'fenced', { token: await node.token() });
    await waitForSync(reader.provider);
    await eventually(() => reader.doc.getText('t').toString() === 'kept through the fence');
    destroyAll([client.provider, reader.provider]);
  });
});
