import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { openControlStores } from '../../src/routing/controlStores.js';
import type { RoutingOperation, RoutingOperationResult, RoutingTable } from '../../src/routing/routingTable.js';
import { hopHeader, hopLifetimeMs, signHop } from '../../src/regions/hopSignature.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

const secret = 'hop-admission-secret-0123456789abcdef';

/** A routing table whose creation checks see the document pinned here at epoch 1 although no row exists: a purge right after the read. */
function purgedAfterRead(routing: RoutingTable): RoutingTable {
  return new Proxy(routing, {
    get(target, property, receiver) {
      if (property !== 'runBatch') return Reflect.get(target, property, receiver);
      return async (operations: readonly RoutingOperation[]): Promise<RoutingOperationResult[]> =>
        (await target.runBatch(operations)).map((result, index) => {
          const operation = operations[index];
          if (result.kind !== 'creation-check' || operation.kind !== 'creation-check' || result.check.route !== null) return result;
          const route = { docKey: operation.docKey, tenantId: operation.tenantId, region: 'local', nodeId: 'gone', pinnedAt: 0, epoch: 1 };
          return { ...result, check: { ...result.check, route } };
        });
    },
  });
}

function status(url: string, headers: Record<string, string>, protocols: string[]): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols, { headers });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.on('error', () => undefined);
  });
}

describe('hop admission at the owner (issue 15)', () => {
  let node: TestServer;
  before(async () => {
    node = await startTestServer({
      config: { clusterSecret: secret },
      openControlStores: async (url) => {
        const stores = await openControlStores({ url });
        return { ...stores, routing: purgedAfterRead(stores.routing), close: () => stores.close() };
      },
    });
  });
  after(async () => {
    await node?.close();
  });

  it('REGION-5: a hop whose document was purged after its route was read is answered 421, and claims nothing', async () => {
    const docKey = node.key('purged');
    const hop = signHop({ docKey, epoch: 1, expiresAt: Date.now() + hopLifetimeMs }, secret);
    assert.equal(await status(`${node.url}/purged`, { [hopHeader]: hop }, ['Bearer', await node.token()]), 421);
    assert.equal(await node.stores.routing.getRoute(docKey), null, 'the claim the pin made was undone');
    assert.equal(node.server.documents.getSession(docKey), null);
    assert.equal(node.server.documents.size, 0);
  });
});
