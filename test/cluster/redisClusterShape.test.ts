import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebsocketProvider } from 'y-websocket';
import { waitForAgreement } from '../helpers/clusterAgreement.js';
import type { DocumentShape } from '../helpers/nodeState.js';
import { runEditPhase, type Editor } from '../helpers/randomEditors.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redisCluster.js';
import { startServeCluster, type ServeCluster } from '../helpers/serveCluster.js';
import { connectClient, destroyAll, waitForSync } from '../helpers/yjsClient.js';
import { redisServerInstalled } from '../sync/redisTestSupport.js';

const installed = await redisServerInstalled();
const ci = process.env.CI === 'true';
const shape: DocumentShape = { texts: ['t'], maps: ['m'] };
const docNames = ['cluster-doc-a', 'cluster-doc-b', 'cluster-doc-c'];

describe('cluster: server processes on a 3-master Redis Cluster', { skip: installed || ci ? false : 'the redis-server binary is not installed' }, () => {
  const providers: WebsocketProvider[] = [];
  let redis: RedisCluster | undefined;
  let cluster: ServeCluster | undefined;

  before(async () => {
    assert.ok(installed, 'redis-server must be installed (CI=true)');
    redis = await startRedisCluster();
    cluster = await startServeCluster({ redisUrl: redis.url, nodes: 2, args: ['--grace-ms', '1000'] });
  });
  after(async () => {
    destroyAll(providers.splice(0));
    await cluster?.stopAll();
    await redis?.stop();
  });

  it('CLUSTER-1: stock clients on two processes converge through Redis Cluster on three documents (each in its own hash slot)', { timeout: 60_000 }, async () => {
    assert.ok(cluster);
    const { nodes, token } = cluster;
    const editors = docNames.flatMap((docName, docIndex) =>
      [0, 1].map((side): Editor & { docName: string } => {
        const connected = connectClient(nodes[side].url, docName, { token });
        providers.push(connected.provider);
        return { index: docIndex * 2 + side, edits: 0, docName, doc: connected.doc };
      }),
    );
    await Promise.all(providers.map((provider) => waitForSync(provider, 10_000)));
    const edits = await runEditPhase(editors, 0xc105, 5_000, 40, 150);
    assert.ok(edits > 100);
    for (const docName of docNames) {
      const clients = editors.filter((editor) => editor.docName === docName).map(({ index, doc }) => ({ name: `client ${index}`, doc }));
      const nodeParties = nodes.map((node) => ({ name: `node ${node.nodeId}`, url: node.url }));
      await waitForAgreement({ clients, nodes: nodeParties, docName, token, shape }, 15_000);
    }
  });
});
