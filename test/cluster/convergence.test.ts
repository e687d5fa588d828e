import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import { documentRedisKeys, defaultKeyPrefix } from '../../src/sync/redisKeys.js';
import { documentKey } from '../../src/tenancy/documentKey.js';
import { waitForAgreement } from '../helpers/clusterAgreement.js';
import { sameSnapshot, snapshotOfDoc, type DocumentShape, type DocumentSnapshot } from '../helpers/nodeState.js';
import { runEditPhase, type Editor } from '../helpers/randomEditors.js';
import { isAlive, startServeCluster, waitUntilGone, type ClusterNode, type ServeCluster } from '../helpers/serveCluster.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, redisAnswers, standaloneRedisUrl } from '../sync/redisTestSupport.js';

/** The only place this file reads the environment: in CI a missing Redis is a failure; a seed replays the edit choices and intervals. */
const ci = process.env.CI === 'true';
const seed = Number(process.env.CONVERGENCE_SEED ?? 0x5eedc0de);
const available = await redisAnswers();

const nodeCount = 3;
const clientsPerNode = 10;
const editPhaseMs = 20_000;
const convergenceTimeoutMs = 20_000;
const shape: DocumentShape = { texts: ['t'], maps: ['m'] };

// Every stock WebsocketProvider adds a process 'exit' listener (y-websocket does, in Node): the
// 33 here are expected, and Node's leak warning at 11 would only hide a real one in the output.
process.setMaxListeners(Math.max(process.getMaxListeners(), 2 * nodeCount * clientsPerNode));

interface EditingClient extends Editor {
  node: ClusterNode;
  provider: WebsocketProvider;
}

/** Names the parties whose snapshot differs from the reference (for a readable failure). */
function disagreeing(parties: Array<{ name: string; snapshot: DocumentSnapshot }>, reference: DocumentSnapshot): string[] {
  return parties.filter(({ snapshot }) => !sameSnapshot(snapshot, reference)).map(({ name }) => name);
}

describe('cluster: stock clients on several server processes', { skip: available || ci ? false : 'Redis is not answering on 127.0.0.1:6379' }, () => {
  const docName = `convergence-${randomUUID()}`;
  const providers: WebsocketProvider[] = [];
  const unexpectedCloses: string[] = [];
  let cluster: ServeCluster | undefined;

  before(async () => {
    assert.ok(available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    cluster = await startServeCluster({ redisUrl: standaloneRedisUrl, nodes: nodeCount, args: ['--grace-ms', '1000'] });
  });

  after(async () => {
    destroyAll(providers.splice(0));
    if (cluster === undefined) return;
    const pids = cluster.nodes.map((node) => node.pid);
    try {
      await waitForDocumentToEnd();
    } finally {
      await cluster.stopAll({ graceful: true });
    }
    await Promise.all(pids.map((pid) => waitUntilGone(pid)));
    assert.deepEqual(pids.filter(isAlive), [], 'no serve process left running');
  });

  /** With --grace-ms 1000 the document ends on every node soon after the last client left. */
  async function waitForDocumentToEnd(): Promise<void> {
    const keys = documentRedisKeys(defaultKeyPrefix, documentKey('dev', 'demo', docName));
    const admin = adminClient();
    try {
      await eventually(async () => (await admin.exists(keys.state, keys.stream)) === 0, 10_000, 'the document keys to be deleted after the grace');
    } finally {
      await admin.del(keys.state, keys.stream);
      admin.disconnect();
    }
  }

  const connect = (node: ClusterNode, token: string) => {
    const connected = connectClient(node.url, docName, { token });
    providers.push(connected.provider);
    return connected;
  };

  it('CLUSTER-1: 30 stock clients on 3 server processes editing concurrently for 20 s converge through Redis: every client, every node and a fresh client hold the identical state', { timeout: 60_000 }, async (t) => {
    assert.ok(cluster);
    const { nodes, token } = cluster;
    t.diagnostic(`seed ${seed} (replay with CONVERGENCE_SEED=${seed}); nodes ${nodes.map((node) => `${node.nodeId}=${node.url}`).join(' ')}`);
    const clients = await connectEditingClients(nodes, token);
    const edits = await runEditPhase(clients, seed, editPhaseMs);

    const started = Date.now();
    const reference = await waitForConvergence(clients, nodes, token);
    const doc = clients[0].doc;
    t.diagnostic(`${edits} edits; converged ${Date.now() - started} ms after the edit phase; text ${doc.getText('t').length} chars, map ${doc.getMap('m').size} keys`);

    const fresh = nodes.map((node) => connect(node, token));
    await Promise.all(fresh.map(({ provider }) => waitForSync(provider, 10_000)));
    const freshParties = fresh.map((client, index) => ({ name: `fresh client on ${nodes[index].nodeId}`, snapshot: snapshotOfDoc(client.doc, shape) }));
    assert.deepEqual(disagreeing(freshParties, reference), [], 'a fresh client on each node gets the converged state');
    assert.ok(doc.getText('t').length > 0, 'the edits left some text');
    assert.deepEqual(unexpectedCloses, [], 'no client was disconnected while the cluster was healthy');
    for (const node of nodes) for (const line of node.logLines()) t.diagnostic(`${node.nodeId} logged: ${line}`);
  });

  /** clientsPerNode synced clients on every node; any close they see is recorded as unexpected. */
  async function connectEditingClients(nodes: ClusterNode[], token: string): Promise<EditingClient[]> {
    const clients = Array.from({ length: nodes.length * clientsPerNode }, (_, index): EditingClient => {
      const node = nodes[index % nodes.length];
      return { index, node, edits: 0, ...connect(node, token) };
    });
    for (const client of clients) {
      client.provider.on('connection-close', (event: { code: number } | null) => {
        unexpectedCloses.push(`client ${client.index} on ${client.node.nodeId}: ${event?.code ?? 'no event'}`);
      });
    }
    await Promise.all(clients.map((client) => waitForSync(client.provider, 10_000)));
    return clients;
  }

  /** Every client and every node agree; on a timeout, who holds which state and the nodes' last log lines. */
  function waitForConvergence(clients: EditingClient[], nodes: ClusterNode[], token: string) {
    const parties = {
      clients: clients.map((client) => ({ name: `client ${client.index} (${client.node.nodeId})`, doc: client.doc })),
      nodes: nodes.map((node) => ({ name: `node ${node.nodeId}`, url: node.url })),
      docName,
      token,
      shape,
    };
    const logs = () => nodes.flatMap((node) => node.logLines().map((line) => `${node.nodeId}: ${line}`)).slice(-20);
    return waitForAgreement(parties, convergenceTimeoutMs, logs);
  }
});
