import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { documentRequest, postUpdate, textInsert, textOfState } from '../helpers/documentHttp.js';
import { startRegionCluster, type RegionCluster } from '../helpers/regionCluster.js';
import { connectClient, destroyAll, waitForSync } from '../helpers/yjsClient.js';
import { redisServerInstalled } from '../sync/redisTestSupport.js';
import type { WebsocketProvider } from 'y-websocket';

const ci = process.env.CI === 'true';
const installed = await redisServerInstalled();

describe('the document HTTP API across regions (issue 17)', { skip: installed || ci ? false : 'redis-server is not installed' }, () => {
  let cluster: RegionCluster;
  const providers: WebsocketProvider[] = [];

  before(async () => {
    cluster = await startRegionCluster({ a1: 'a', b1: 'b' }, ['a', 'b']);
  });
  after(async () => {
    destroyAll(providers);
    await cluster?.close();
  });

  it("API-8: a request for a document pinned to another region answers 421 with the owner's route, and changes nothing", async () => {
    const a1 = cluster.node('a1').server;
    const b1 = cluster.node('b1').server;
    const token = await a1.token();
    const made = connectClient(a1.url, 'pinned-to-a', { token });
    providers.push(made.provider);
    await waitForSync(made.provider);
    made.doc.getText('t').insert(0, 'in region a');
    const route = await a1.stores.routing.getRoute(a1.key('pinned-to-a'));
    const expected = { region: 'a', url: a1.url, epoch: route!.epoch };
    const calls = [
      documentRequest(b1.url, '/v1/documents/pinned-to-a', token),
      postUpdate(b1.url, 'pinned-to-a', token, textInsert('from b')),
      documentRequest(b1.url, '/v1/documents/pinned-to-a', token, { method: 'DELETE' }),
    ];
    for (const response of await Promise.all(calls)) {
      assert.equal(response.status, 421);
      const body = response.json as { code: string; route: unknown };
      assert.equal(body.code, 'DOCUMENT_MISDIRECTED');
      assert.deepEqual(body.route, expected);
    }
    const owner = await documentRequest(expected.url, '/v1/documents/pinned-to-a', token);
    assert.equal(textOfState(owner.bytes), 'in region a');
    assert.equal((await cluster.redisKeysOf('b', a1.key('pinned-to-a'))).length, 0, 'region b holds nothing of it');
  });
});
