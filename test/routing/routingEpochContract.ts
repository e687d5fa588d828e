import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoutingTable } from '../../src/routing/routingTable.js';
import type { TenantRegistry } from '../../src/tenancy/tenantRegistry.js';
import { routeFor } from './routingTableContract.js';

/**
 * REGION-2's store half (issue 15, point 2): each claim of a document carries an epoch one above
 * the highest the document ever had, purges included, and a claim stays one atomic step with its
 * quota check. Run inside `routingTableContract`, so every adapter passes it.
 */
export function routingEpochContract(stores: () => { routing: RoutingTable; tenants: TenantRegistry }): void {
  describe('epochs (regions)', () => {
    const setUp = async (maxDocuments = 10) => {
      const { routing, tenants } = stores();
      await tenants.createTenant({ tenantId: 't1', maxDocuments });
      return routing;
    };
    const pinned = async (routing: RoutingTable, name: string, nodeId = 'node-a') => {
      const result = await routing.pinDocument(routeFor('t1', name, nodeId));
      assert.ok(result.kind === 'pinned' || result.kind === 'existing', `pin of ${name}: ${result.kind}`);
      return result;
    };

    it('REGION-2: the first claim has epoch 1; a re-pin answers the same route and epoch', async () => {
      const routing = await setUp();
      const first = await pinned(routing, 'doc');
      assert.equal(first.kind, 'pinned');
      assert.equal(first.route.epoch, 1);
      const again = await pinned(routing, 'doc', 'node-b');
      assert.deepEqual(again, { kind: 'existing', route: first.route });
      assert.equal((await routing.getRoute(first.route.docKey))?.epoch, 1);
    });

    it('REGION-2: each claim after a purge (unpin, unpinIfUnused, removeNode) has a higher epoch', async () => {
      const routing = await setUp();
      const { docKey } = routeFor('t1', 'doc');
      assert.equal((await pinned(routing, 'doc')).route.epoch, 1);
      await routing.unpinDocument(docKey);
      assert.equal((await pinned(routing, 'doc')).route.epoch, 2);
      assert.equal(await routing.unpinIfUnused(docKey), true);
      assert.equal((await pinned(routing, 'doc', 'node-c')).route.epoch, 3);
      await routing.removeNode('node-c');
      assert.equal(await routing.getRoute(docKey), null);
      assert.equal((await pinned(routing, 'doc')).route.epoch, 4);
      assert.equal((await pinned(routing, 'other')).route.epoch, 1, 'epochs are per document');
    });

    it('REGION-2: 100 concurrent claims of one document from two regions give one row, one region, one epoch', async () => {
      const routing = await setUp();
      const { docKey } = routeFor('t1', 'race');
      const claims = Array.from({ length: 100 }, (_, index) =>
        routing.pinDocument({ docKey, tenantId: 't1', region: index % 2 === 0 ? 'a' : 'b', nodeId: `node-${index % 4}` }),
      );
      const results = await Promise.all(claims);
      const routes = results.map((result) => (result.kind === 'pinned' || result.kind === 'existing' ? result.route : null));
      assert.equal(results.filter((result) => result.kind === 'pinned').length, 1);
      assert.equal(new Set(routes.map((route) => `${route?.region}/${route?.nodeId}/${route?.epoch}`)).size, 1);
      assert.equal(routes[0]?.epoch, 1);
      assert.equal(await routing.countTenantDocuments('t1'), 1);
    });

    it('REGION-2: a batch of pins gives each claimed document its own next epoch, and the quota still holds', async () => {
      const routing = await setUp(2);
      await pinned(routing, 'x');
      await routing.unpinDocument(routeFor('t1', 'x').docKey);
      const results = await routing.runBatch([
        { kind: 'pin', route: routeFor('t1', 'x') },
        { kind: 'pin', route: routeFor('t1', 'y') },
        { kind: 'pin', route: routeFor('t1', 'z') },
        { kind: 'creation-check', docKey: routeFor('t1', 'x').docKey, tenantId: 't1' },
      ]);
      const epochs = results.map((result) => (result.kind === 'pin' && result.result.kind === 'pinned' ? result.result.route.epoch : result.kind === 'pin' ? result.result.kind : null));
      assert.deepEqual(epochs.slice(0, 3), [2, 1, 'quota-exceeded']);
      const check = results[3];
      assert.ok(check.kind === 'creation-check');
      assert.equal(check.check.route?.epoch, 2);
    });

    it('REGION-7: a takeover moves a document whose region has no live node to the caller at epoch+1, once, and clears the dead rows', async () => {
      const routing = await setUp();
      await routing.heartbeat({ nodeId: 'a1', region: 'a', url: 'ws://a1' });
      const { docKey } = routeFor('t1', 'gone');
      const first = await routing.pinDocument({ docKey, tenantId: 't1', region: 'a', nodeId: 'a1' });
      assert.ok(first.kind === 'pinned');
      await routing.addConnection({ connectionId: 'c-a1', docKey, nodeId: 'a1', userId: 'u' });
      const takeover = { docKey, fromEpoch: 1, region: 'b', nodeId: 'b1' };
      assert.deepEqual(await routing.takeOverRoute({ ...takeover, nodeTimeoutMs: 60_000 }), { kind: 'refused', route: first.route }, 'region a is alive');
      await new Promise((resolve) => setTimeout(resolve, 60));
      await routing.heartbeat({ nodeId: 'b1', region: 'b', url: 'ws://b1' });
      await routing.addConnection({ connectionId: 'c-b1', docKey, nodeId: 'b1', userId: 'u' });
      assert.equal((await routing.takeOverRoute({ ...takeover, fromEpoch: 2, nodeTimeoutMs: 40 })).kind, 'refused', 'a wrong epoch never moves the row');
      const racers = await Promise.all(Array.from({ length: 10 }, (_, index) => routing.takeOverRoute({ ...takeover, nodeId: `b${index}`, nodeTimeoutMs: 40 })));
      const won = racers.filter((result) => result.kind === 'taken');
      assert.equal(won.length, 1, 'one takeover wins');
      assert.equal(won[0].route.region, 'b');
      assert.equal(won[0].route.epoch, 2);
      const route = await routing.getRoute(docKey);
      assert.deepEqual(route, won[0].route);
      for (const lost of racers.filter((result) => result.kind === 'refused')) assert.ok(lost.route === null || lost.route.epoch <= 2);
      assert.equal(await routing.countConnections(docKey), 1, "the dead node's row went, the live one's stayed");
      assert.equal(await routing.countTenantDocuments('t1'), 1, 'still one row against the quota');
      await routing.removeConnection('c-b1');
      assert.equal(await routing.unpinIfUnused(docKey), true);
      assert.equal((await pinned(routing, 'gone')).route.epoch, 3, 'the takeover epoch outlives a purge');
    });

    it('REGION-15: a board pins once, at the next epoch, outside every quota; concurrent pins agree', async () => {
      const routing = await setUp(1);
      await pinned(routing, 'the one document');
      const key = 'board#t1::app::b';
      const pins = await Promise.all(Array.from({ length: 20 }, (_, index) => routing.pinBoard({ docKey: key, region: index % 2 ? 'a' : 'b', nodeId: `n${index}` })));
      assert.equal(new Set(pins.map((route) => `${route.region}/${route.nodeId}/${route.epoch}`)).size, 1, 'one pin');
      assert.equal(pins[0].epoch, 1);
      assert.equal(await routing.countTenantDocuments('t1'), 1, 'the board does not count');
      assert.equal((await routing.pinDocument(routeFor('t1', 'another'))).kind, 'quota-exceeded', 'nor frees or takes quota');
      assert.equal(await routing.unpinIfUnused(key), true);
      assert.equal((await routing.pinBoard({ docKey: key, region: 'a', nodeId: 'n1' })).epoch, 2);
    });

    it("REGION-11: a creation check answers the tenant's residency", async () => {
      const { routing, tenants } = stores();
      await tenants.createTenant({ tenantId: 'eu', maxDocuments: 3, allowedRegions: ['eu-west', 'eu-central'] });
      await tenants.createTenant({ tenantId: 'free', maxDocuments: 3 });
      const results = await routing.runBatch([
        { kind: 'creation-check', docKey: routeFor('eu', 'd').docKey, tenantId: 'eu' },
        { kind: 'creation-check', docKey: routeFor('free', 'd').docKey, tenantId: 'free' },
      ]);
      const regions = results.map((result) => (result.kind === 'creation-check' ? result.check.allowedRegions : 'not a check'));
      assert.deepEqual(regions, [['eu-west', 'eu-central'], null]);
    });

    it('lists the live nodes with their region and advertised url', async () => {
      const { routing } = stores();
      await routing.heartbeat({ nodeId: 'n-b', region: 'b', url: 'ws://10.0.0.2:1234' });
      await routing.heartbeat({ nodeId: 'n-a', region: 'a', url: 'wss://a.example.com' });
      assert.deepEqual(await routing.liveNodes(60_000), [
        { nodeId: 'n-a', region: 'a', url: 'wss://a.example.com' },
        { nodeId: 'n-b', region: 'b', url: 'ws://10.0.0.2:1234' },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.deepEqual(await routing.liveNodes(40), []);
    });
  });
}
