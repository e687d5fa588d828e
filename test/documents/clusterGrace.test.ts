import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

const graceMs = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two nodes of one cluster in this process: one libSQL file (two clients on it, as two processes
// would have) and one sync hub. "The last client" means the last one on any node.
describe('documents: the grace is cluster-wide (two nodes)', () => {
  let nodeA: TestServer;
  let nodeB: TestServer;
  before(async () => {
    nodeA = await startTestServer({ config: { graceMs, nodeId: 'node-a' } });
    nodeB = await startTestServer({ config: { graceMs, nodeId: 'node-b' }, shareWith: nodeA });
  });
  after(async () => {
    await nodeB.close();
    await nodeA.close();
  });

  const client = async (node: TestServer, name: string) => {
    const connected = connectClient(node.url, name, { token: await nodeA.token() });
    await waitForSync(connected.provider);
    return connected;
  };
  const routed = async (key: string) => (await nodeA.stores.routing.getRoute(key)) !== null;

  it('LIFE-8: a node whose last local client leaves frees its copy but the session goes on while another node serves it', async () => {
    const key = nodeA.key('spread');
    const onA = await client(nodeA, 'spread');
    const onB = await client(nodeB, 'spread');
    onA.doc.getText('t').insert(0, 'from A;');
    await eventually(() => onB.doc.getText('t').toString() === 'from A;');

    destroyAll([onA.provider]);
    await eventually(() => nodeA.server.documents.getSession(key) === null, 3000, 'node A to free its copy');
    await sleep(graceMs * 2);
    assert.ok(await routed(key), 'still pinned: node B serves it');
    assert.ok(nodeA.hub.has(key), 'sync state kept');
    onB.doc.getText('t').insert(7, 'from B;');

    const again = await client(nodeA, 'spread');
    await eventually(() => again.doc.getText('t').toString() === 'from A;from B;', 3000, 'state reloaded on node A');
    destroyAll([again.provider, onB.provider]);
    await eventually(async () => !(await routed(key)), graceMs * 6, 'the session to end once nobody is left');
    assert.ok(!nodeA.hub.has(key));
  });

  it('LIFE-9/LIFE-10: a grace ending on one node does not purge a document another node started serving meanwhile', async () => {
    const key = nodeA.key('handover');
    const onA = await client(nodeA, 'handover');
    onA.doc.getText('t').insert(0, 'kept');
    await eventually(() => nodeA.hub.has(key));
    destroyAll([onA.provider]);
    await eventually(() => nodeA.server.documents.getSession(key)?.lifecycle.state.kind === 'idle', 3000, 'grace on node A');

    const onB = await client(nodeB, 'handover');
    await eventually(() => onB.doc.getText('t').toString() === 'kept');
    await eventually(() => nodeA.server.documents.getSession(key) === null, graceMs * 4, 'node A to end its grace');
    assert.ok(await routed(key), 'not unpinned: node B has a client');
    assert.ok(nodeA.hub.has(key), 'sync state not dropped');
    onB.doc.getText('t').insert(4, '!');
    const late = await client(nodeB, 'handover');
    await eventually(() => late.doc.getText('t').toString() === 'kept!');
    destroyAll([onB.provider, late.provider]);
  });
});

describe('documents: a grace that outlives its document', () => {
  let node: TestServer;
  before(async () => {
    node = await startTestServer({ config: { graceMs: 60_000, nodeId: 'waiting-node' } });
  });
  after(async () => node.close());

  it('LIFE-12/CLUSTER-4: a session waiting out its grace here that another node ended meanwhile starts anew at the next connect', async () => {
    const key = node.key('ended-elsewhere');
    const first = connectClient(node.url, 'ended-elsewhere', { token: await node.token() });
    await waitForSync(first.provider);
    first.doc.getText('t').insert(0, 'old session');
    await eventually(() => node.server.documents.getSession(key)?.encodeState().length !== 2);
    destroyAll([first.provider]);
    await eventually(() => node.server.documents.getSession(key)?.lifecycle.state.kind === 'idle', 3000, 'the grace here');
    const oldRoute = await node.stores.routing.getRoute(key);
    assert.ok(oldRoute);

    // What another node's purge does when its grace for the same document ended first.
    assert.equal(await node.stores.routing.unpinIfUnused(key), true);
    node.hub.delete(key);
    await new Promise((resolve) => setTimeout(resolve, 5));

    const next = connectClient(node.url, 'ended-elsewhere', { token: await node.token() });
    await waitForSync(next.provider);
    assert.equal(next.doc.getText('t').toString(), '', 'the next connect gets a new, empty session');
    const route = await node.stores.routing.getRoute(key);
    assert.ok(route && route.pinnedAt !== oldRoute.pinnedAt, 'pinned anew');
    next.doc.getText('t').insert(0, 'new session');
    await eventually(() => node.hub.has(key));
    const other = connectClient(node.url, 'ended-elsewhere', { token: await node.token() });
    await waitForSync(other.provider);
    await eventually(() => other.doc.getText('t').toString() === 'new session');
    destroyAll([next.provider, other.provider]);
  });
});
