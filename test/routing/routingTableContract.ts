import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RoutingBatcher } from '../../src/routing/routingBatcher.js';
import type { ActiveConnection, NewDocumentRoute, PinResult, RoutingOperation, RoutingTable } from '../../src/routing/routingTable.js';
import type { TenantRegistry } from '../../src/tenancy/tenantRegistry.js';
import { routingEpochContract } from './routingEpochContract.js';

export interface RoutingStores {
  routing: RoutingTable;
  tenants: TenantRegistry;
  /** Must be safe to call after `routing.close()`. */
  close(): Promise<void>;
}

/** A route for document `name` of `tenantId`, pinned from node `nodeId`. */
export function routeFor(tenantId: string, name: string, nodeId = 'node-a'): NewDocumentRoute {
  return { docKey: `${tenantId}::app::${name}`, tenantId, region: 'local', nodeId };
}

export function countKinds(results: readonly Pick<PinResult, 'kind'>[]): Record<PinResult['kind'], number> {
  const counts = { pinned: 0, existing: 0, 'quota-exceeded': 0, 'unknown-tenant': 0 };
  for (const result of results) counts[result.kind] += 1;
  return counts;
}

/**
 * The behaviour every RoutingTable adapter shares (see the contract in routingTable.ts). Each
 * test gets fresh stores from `factory` and closes them afterwards.
 */
export function routingTableContract(name: string, factory: () => Promise<RoutingStores>): void {
  describe(`RoutingTable contract: ${name}`, () => {
    let stores: RoutingStores;
    let routing: RoutingTable;

    beforeEach(async () => {
      stores = await factory();
      routing = stores.routing;
    });
    afterEach(async () => {
      await stores.close();
    });

    describe('pinning', () => {
      it('pins a new document and reads its route back', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 5 });
        const before = Date.now();
        const result = await routing.pinDocument(routeFor('t1', 'doc'));
        assert.equal(result.kind, 'pinned');
        assert.ok(result.kind === 'pinned');
        assert.deepEqual({ ...result.route, pinnedAt: 0 }, { ...routeFor('t1', 'doc'), pinnedAt: 0, epoch: 1 });
        assert.ok(result.route.pinnedAt >= before && result.route.pinnedAt <= Date.now());
        assert.deepEqual(await routing.getRoute(routeFor('t1', 'doc').docKey), result.route);
        assert.equal(await routing.countTenantDocuments('t1'), 1);
      });

      it('returns the existing route on a re-pin, even from another node, and counts it once', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 5 });
        const first = await routing.pinDocument(routeFor('t1', 'doc', 'node-a'));
        const again = await routing.pinDocument(routeFor('t1', 'doc', 'node-b'));
        assert.ok(first.kind === 'pinned');
        assert.deepEqual(again, { kind: 'existing', route: first.route });
        assert.equal(await routing.countTenantDocuments('t1'), 1);
      });

      it('unpins: the route is gone, and a second unpin reports false', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 5 });
        const { docKey } = routeFor('t1', 'doc');
        await routing.pinDocument(routeFor('t1', 'doc'));
        assert.equal(await routing.unpinDocument(docKey), true);
        assert.equal(await routing.getRoute(docKey), null);
        assert.equal(await routing.unpinDocument(docKey), false);
        assert.equal(await routing.countTenantDocuments('t1'), 0);
      });

      it('has no route and no count for documents never pinned', async () => {
        assert.equal(await routing.getRoute('nobody::app::doc'), null);
        assert.equal(await routing.countTenantDocuments('nobody'), 0);
      });

      it('refuses an unknown tenant without inserting anything', async () => {
        assert.deepEqual(await routing.pinDocument(routeFor('ghost', 'doc')), { kind: 'unknown-tenant' });
        assert.equal(await routing.getRoute(routeFor('ghost', 'doc').docKey), null);
        assert.equal(await routing.countTenantDocuments('ghost'), 0);
      });
    });

    describe('quota (maxDocuments)', () => {
      it('lets exactly max_documents in under 50 concurrent pins of distinct documents', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 10 });
        const pins = Array.from({ length: 50 }, (_, i) => routing.pinDocument(routeFor('t1', `doc-${i}`)));
        const results = await Promise.all(pins);
        assert.deepEqual(countKinds(results), { pinned: 10, existing: 0, 'quota-exceeded': 40, 'unknown-tenant': 0 });
        for (const result of results) {
          if (result.kind === 'quota-exceeded') assert.equal(result.maxDocuments, 10);
        }
        assert.equal(await routing.countTenantDocuments('t1'), 10);
      });

      it('pins one document once under 20 concurrent pins of the same key', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 10 });
        const results = await Promise.all(Array.from({ length: 20 }, () => routing.pinDocument(routeFor('t1', 'same'))));
        assert.deepEqual(countKinds(results), { pinned: 1, existing: 19, 'quota-exceeded': 0, 'unknown-tenant': 0 });
        assert.equal(await routing.countTenantDocuments('t1'), 1);
      });

      it('still answers existing for pinned documents when the tenant is full', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 2 });
        await routing.pinDocument(routeFor('t1', 'a'));
        await routing.pinDocument(routeFor('t1', 'b'));
        assert.equal((await routing.pinDocument(routeFor('t1', 'a'))).kind, 'existing');
        assert.deepEqual(await routing.pinDocument(routeFor('t1', 'c')), { kind: 'quota-exceeded', maxDocuments: 2 });
      });

      it('refuses every document when max_documents is 0', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 0 });
        assert.deepEqual(await routing.pinDocument(routeFor('t1', 'a')), { kind: 'quota-exceeded', maxDocuments: 0 });
      });

      it('lets a new document in after max_documents is raised or a document is unpinned', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 1 });
        await routing.pinDocument(routeFor('t1', 'a'));
        assert.equal((await routing.pinDocument(routeFor('t1', 'b'))).kind, 'quota-exceeded');
        assert.equal(await stores.tenants.setMaxDocuments('t1', 2), true);
        assert.equal((await routing.pinDocument(routeFor('t1', 'b'))).kind, 'pinned');
        assert.equal((await routing.pinDocument(routeFor('t1', 'c'))).kind, 'quota-exceeded');
        await routing.unpinDocument(routeFor('t1', 'a').docKey);
        assert.equal((await routing.pinDocument(routeFor('t1', 'c'))).kind, 'pinned');
      });

      it('counts each tenant against its own limit', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 1 });
        await stores.tenants.createTenant({ tenantId: 't2', maxDocuments: 1 });
        assert.equal((await routing.pinDocument(routeFor('t1', 'a'))).kind, 'pinned');
        assert.equal((await routing.pinDocument(routeFor('t2', 'a'))).kind, 'pinned');
        assert.equal(await routing.countTenantDocuments('t1'), 1);
        assert.equal(await routing.countTenantDocuments('t2'), 1);
      });
    });

    describe('connections', () => {
      const connect = (connectionId: string, docKey: string, nodeId: string) =>
        routing.addConnection({ connectionId, docKey, nodeId, userId: `user-${connectionId}` });

      it('counts connections per document across nodes', async () => {
        await Promise.all([
          connect('c1', 'doc-1', 'node-a'),
          connect('c2', 'doc-1', 'node-a'),
          connect('c3', 'doc-1', 'node-b'),
          connect('c4', 'doc-2', 'node-b'),
        ]);
        assert.equal(await routing.countConnections('doc-1'), 3);
        assert.equal(await routing.countConnections('doc-2'), 1);
        assert.equal(await routing.countConnections('doc-3'), 0);
      });

      it('removes one connection; removing an unknown one is a no-op', async () => {
        await connect('c1', 'doc-1', 'node-a');
        await connect('c2', 'doc-1', 'node-b');
        await routing.removeConnection('c1');
        await routing.removeConnection('c1');
        await routing.removeConnection('never-added');
        assert.equal(await routing.countConnections('doc-1'), 1);
      });

      it('counts a connection id added twice once', async () => {
        await connect('c1', 'doc-1', 'node-a');
        await connect('c1', 'doc-1', 'node-a');
        assert.equal(await routing.countConnections('doc-1'), 1);
      });
    });

    describe('batches (group commit)', () => {
      const row = (connectionId: string, docKey = 'doc-b'): ActiveConnection => ({ connectionId, docKey, nodeId: 'node-a', userId: `u-${connectionId}` });
      const add = (connectionId: string, docKey?: string): RoutingOperation => ({ kind: 'add-connection', connection: row(connectionId, docKey) });
      const remove = (connectionId: string): RoutingOperation => ({ kind: 'remove-connection', connectionId });
      /** A row the store must refuse (user_id is NOT NULL): the batch holding it fails. */
      const broken = (connectionId: string): ActiveConnection => ({ ...row(connectionId), userId: null as unknown as string });
      /** The adapter with its runBatch calls counted. */
      const counted = () => {
        const calls: number[] = [];
        const proxy = new Proxy(routing, {
          get(target, property, receiver) {
            if (property !== 'runBatch') return Reflect.get(target, property, receiver);
            return (operations: readonly RoutingOperation[]) => {
              calls.push(operations.length);
              return target.runBatch(operations);
            };
          },
        });
        return { proxy, calls };
      };

      it('PERF-7: writes every row of a batch and answers each operation at its index', async () => {
        const operations = Array.from({ length: 120 }, (_, i) => add(`b${i}`, `doc-${i % 3}`));
        const results = await routing.runBatch(operations);
        assert.equal(results.length, 120);
        for (const result of results) assert.deepEqual(result, { kind: 'done' });
        assert.deepEqual(await Promise.all([0, 1, 2].map((i) => routing.countConnections(`doc-${i}`))), [40, 40, 40]);
        assert.deepEqual(await routing.runBatch([]), []);
      });

      it('applies the add and the remove of one connection in the order given', async () => {
        await routing.runBatch([add('x'), remove('x'), remove('y'), add('y'), add('z'), remove('z'), add('z')]);
        assert.equal(await routing.countConnections('doc-b'), 2, 'x gone, y and z in');
        await routing.runBatch([remove('y'), remove('z')]);
        assert.equal(await routing.countConnections('doc-b'), 0);
      });

      it('keeps each pin of a batch atomic with its quota check, counting the pins before it', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 3 });
        const pins: RoutingOperation[] = ['a', 'b', 'a', 'c', 'd', 'e'].map((name) => ({ kind: 'pin', route: routeFor('t1', name) }));
        const results = await routing.runBatch([...pins, { kind: 'pin', route: routeFor('ghost', 'a') }]);
        const kinds = results.map((result) => (result.kind === 'pin' ? result.result.kind : result.kind));
        assert.deepEqual(kinds, ['pinned', 'pinned', 'existing', 'pinned', 'quota-exceeded', 'quota-exceeded', 'unknown-tenant']);
        assert.equal(await routing.countTenantDocuments('t1'), 3);
      });

      it('answers a creation check with the route, the limit and the live count', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 4 });
        const pinned = await routing.pinDocument(routeFor('t1', 'a'));
        assert.ok(pinned.kind === 'pinned');
        const results = await routing.runBatch([
          { kind: 'creation-check', docKey: routeFor('t1', 'a').docKey, tenantId: 't1' },
          { kind: 'creation-check', docKey: routeFor('t1', 'new').docKey, tenantId: 't1' },
          { kind: 'creation-check', docKey: routeFor('ghost', 'a').docKey, tenantId: 'ghost' },
        ]);
        assert.deepEqual(results, [
          { kind: 'creation-check', check: { route: pinned.route, maxDocuments: 4, liveDocuments: 1, allowedRegions: null } },
          { kind: 'creation-check', check: { route: null, maxDocuments: 4, liveDocuments: 1, allowedRegions: null } },
          { kind: 'creation-check', check: { route: null, maxDocuments: null, liveDocuments: 0, allowedRegions: null } },
        ]);
      });

      it('counts connections inside a batch after the operations before it, and shares a waiting count', async () => {
        const results = await routing.runBatch([add('k1'), add('k2'), { kind: 'count-connections', docKey: 'doc-b' }, remove('k1'), { kind: 'count-connections', docKey: 'doc-b' }]);
        assert.deepEqual(results.slice(2), [{ kind: 'count', count: 2 }, { kind: 'done' }, { kind: 'count', count: 1 }]);
        const { proxy, calls } = counted();
        const batcher = new RoutingBatcher(proxy);
        const counts = await Promise.all([batcher.removeConnection('k2'), batcher.countConnections('doc-b'), batcher.countConnections('doc-b'), batcher.countConnections('other')]);
        assert.deepEqual(counts.slice(1), [0, 0, 0]);
        assert.deepEqual(calls, [3], 'one removal and two counts in one batch');
      });

      it('PERF-7: long runs of one kind (past 400 operations) answer like the same calls made one by one', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 450 });
        await stores.tenants.createTenant({ tenantId: 't2', maxDocuments: 2 });
        const names = Array.from({ length: 460 }, (_, i) => `d${i % 455}`);
        const pins: RoutingOperation[] = [...names.map((name) => ({ kind: 'pin', route: routeFor('t1', name) }) as const), ...['x', 'y', 'x', 'z'].map((name) => ({ kind: 'pin', route: routeFor('t2', name) }) as const)];
        const checks: RoutingOperation[] = ['d0', 'd449', 'd450', 'x', 'z'].map((name) => ({ kind: 'creation-check', docKey: routeFor(name.startsWith('d') ? 't1' : 't2', name).docKey, tenantId: name.startsWith('d') ? 't1' : 't2' }));
        const adds = Array.from({ length: 900 }, (_, i) => add(`c${i % 850}`, `doc-${i % 7}`));
        const removes = Array.from({ length: 410 }, (_, i) => remove(`c${i}`));
        const counts: RoutingOperation[] = Array.from({ length: 8 }, (_, i) => ({ kind: 'count-connections', docKey: `doc-${i % 8}` }));
        const results = await routing.runBatch([...pins, ...checks, ...adds, ...counts, ...removes, ...counts]);
        const pinKinds = results.slice(0, pins.length).map((result) => (result.kind === 'pin' ? result.result.kind : result.kind));
        // d0..d449 pinned, d450..d454 over t1's limit, then d0..d4 again; t2 allows x and y.
        const expectedPins = names.map((_, i) => (i < 450 ? 'pinned' : i < 455 ? 'quota-exceeded' : 'existing'));
        assert.deepEqual(pinKinds, [...expectedPins, 'pinned', 'pinned', 'existing', 'quota-exceeded']);
        const checked = results.slice(pins.length, pins.length + checks.length).map((result) => (result.kind === 'creation-check' ? [result.check.route?.docKey ?? null, result.check.maxDocuments, result.check.liveDocuments] : null));
        assert.deepEqual(checked, [
          [routeFor('t1', 'd0').docKey, 450, 450],
          [routeFor('t1', 'd449').docKey, 450, 450],
          [null, 450, 450],
          [routeFor('t2', 'x').docKey, 2, 2],
          [null, 2, 2],
        ]);
        const countsAt = (offset: number) => results.slice(offset, offset + counts.length).map((result) => (result.kind === 'count' ? result.count : -1));
        // The last add of a connection id decides its document; the first 410 ids are then removed.
        const documentOf = new Map(adds.map((operation) => (operation.kind === 'add-connection' ? [operation.connection.connectionId, operation.connection.docKey] : ['', ''])));
        const perDocument = (from: number) =>
          Array.from({ length: 8 }, (_, d) => [...documentOf].filter(([connectionId, docKey]) => Number(connectionId.slice(1)) >= from && docKey === `doc-${d}`).length);
        const afterAdds = pins.length + checks.length + adds.length;
        assert.deepEqual(countsAt(afterAdds), perDocument(0));
        assert.deepEqual(countsAt(afterAdds + counts.length + removes.length), perDocument(410));
        assert.deepEqual(await routing.countConnections('doc-3'), perDocument(410)[3]);
        assert.equal(await routing.countTenantDocuments('t1'), 450);
      });

      it('writes nothing of a batch that fails', async () => {
        await assert.rejects(routing.runBatch([add('ok-1'), { kind: 'add-connection', connection: broken('bad') }, add('ok-2')]));
        assert.equal(await routing.countConnections('doc-b'), 0);
      });

      it('RoutingBatcher: the calls of one turn go in one batch, and every caller gets its own answer', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 1 });
        const { proxy, calls } = counted();
        const batcher = new RoutingBatcher(proxy);
        const adds = Array.from({ length: 30 }, (_, i) => batcher.addConnection(row(`g${i}`)));
        const [first, second] = await Promise.all([batcher.pinDocument(routeFor('t1', 'a')), batcher.pinDocument(routeFor('t1', 'b')), ...adds]);
        assert.deepEqual(calls, [32], 'one round trip for 32 calls');
        assert.equal((first as PinResult).kind, 'pinned');
        assert.deepEqual(second, { kind: 'quota-exceeded', maxDocuments: 1 });
        assert.equal(await routing.countConnections('doc-b'), 30);
      });

      it('RoutingBatcher: calls made while a batch is in flight go in the next, in order', async () => {
        const { proxy, calls } = counted();
        const batcher = new RoutingBatcher(proxy, { maxOperations: 4 });
        const done = Array.from({ length: 10 }, (_, i) => batcher.addConnection(row(`o${i % 3}`)));
        done.push(batcher.removeConnection('o0'), batcher.removeConnection('o1'), batcher.addConnection(row('o1')));
        await Promise.all(done);
        assert.deepEqual(calls, [4, 4, 4, 1]);
        assert.equal(await routing.countConnections('doc-b'), 2, 'o1 re-added after its removal, o2 stays, o0 removed');
      });

      it('PERF-7: RoutingBatcher: calls one turn apart, right after a batch, wait out the linger and share the next batch', async () => {
        const { proxy, calls } = counted();
        // A long linger (the default is 2 ms): on a loaded machine 20 turns and a store call take
        // tens of ms, and the claim is that they share a batch, not how fast turns are.
        const batcher = new RoutingBatcher(proxy, { lingerMs: 1000 });
        await batcher.addConnection(row('l0'));
        const spread: Promise<void>[] = [];
        for (let i = 1; i <= 20; i++) {
          spread.push(batcher.addConnection(row(`l${i}`)));
          await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(spread);
        assert.deepEqual(calls, [1, 20], 'the first call at once, the 20 that followed within the linger in one batch');
        assert.equal(await routing.countConnections('doc-b'), 21);
        const quiet = new RoutingBatcher(proxy, { lingerMs: 0 });
        await quiet.addConnection(row('q0'));
        await new Promise((resolve) => setImmediate(resolve));
        await quiet.addConnection(row('q1'));
        assert.deepEqual(calls.slice(2), [1, 1], 'with no linger each turn is its own batch');
      });

      it('RoutingBatcher: a failing batch fails every caller in it, writes none of it, and the next batch works', async () => {
        const batcher = new RoutingBatcher(routing);
        const outcomes = await Promise.allSettled([batcher.addConnection(row('f1')), batcher.addConnection(broken('f2')), batcher.removeConnection('f0')]);
        assert.deepEqual(outcomes.map((outcome) => outcome.status), ['rejected', 'rejected', 'rejected']);
        assert.equal(await routing.countConnections('doc-b'), 0);
        await batcher.addConnection(row('f1'));
        assert.equal(await routing.countConnections('doc-b'), 1);
      });
    });

    describe('nodes', () => {
      it('accepts repeated heartbeats of one node (upsert)', async () => {
        const node = { nodeId: 'node-a', region: 'local', url: 'ws://127.0.0.1:1234' };
        await routing.heartbeat(node);
        await routing.heartbeat({ ...node, url: 'ws://127.0.0.1:4321' });
      });

      it("removeNode deletes that node's connections and leaves other nodes' alone", async () => {
        await routing.heartbeat({ nodeId: 'node-a', region: 'local', url: 'ws://a' });
        await routing.heartbeat({ nodeId: 'node-b', region: 'local', url: 'ws://b' });
        await routing.addConnection({ connectionId: 'c1', docKey: 'doc-1', nodeId: 'node-a', userId: 'u1' });
        await routing.addConnection({ connectionId: 'c2', docKey: 'doc-1', nodeId: 'node-b', userId: 'u2' });
        await routing.addConnection({ connectionId: 'c3', docKey: 'doc-2', nodeId: 'node-a', userId: 'u3' });
        await routing.removeNode('node-a');
        assert.equal(await routing.countConnections('doc-1'), 1);
        assert.equal(await routing.countConnections('doc-2'), 0);
        await routing.removeNode('node-a');
        await routing.removeNode('never-seen');
      });

      it('unpinIfUnused unpins only a document no connection uses, and only once', async () => {
        await stores.tenants.createTenant({ tenantId: 'grace', maxDocuments: 10 });
        await routing.pinDocument({ docKey: 'g1', tenantId: 'grace', region: 'local', nodeId: 'node-a' });
        await routing.addConnection({ connectionId: 'g-c1', docKey: 'g1', nodeId: 'node-b', userId: 'u' });
        assert.equal(await routing.unpinIfUnused('g1'), false, 'node-b still serves it');
        assert.notEqual(await routing.getRoute('g1'), null);
        await routing.removeConnection('g-c1');
        const winners = await Promise.all([routing.unpinIfUnused('g1'), routing.unpinIfUnused('g1'), routing.unpinIfUnused('g1')]);
        assert.deepEqual(winners.filter(Boolean).length, 1, 'exactly one caller purges');
        assert.equal(await routing.getRoute('g1'), null);
      });

      it("removeNode unpins the node's documents that no connection uses any more, and only those", async () => {
        await stores.tenants.createTenant({ tenantId: 'reap', maxDocuments: 10 });
        const pin = (docKey: string, nodeId: string) => routing.pinDocument({ docKey, tenantId: 'reap', region: 'local', nodeId });
        await pin('orphan', 'node-a');
        await pin('still-used', 'node-a');
        await pin('other-node', 'node-b');
        await routing.addConnection({ connectionId: 'k1', docKey: 'still-used', nodeId: 'node-b', userId: 'u1' });
        await routing.addConnection({ connectionId: 'k2', docKey: 'orphan', nodeId: 'node-a', userId: 'u2' });
        await routing.removeNode('node-a');
        assert.equal(await routing.getRoute('orphan'), null);
        assert.notEqual(await routing.getRoute('still-used'), null);
        assert.notEqual(await routing.getRoute('other-node'), null);
        assert.equal(await routing.countTenantDocuments('reap'), 2);
      });
    });

    describe('node liveness and reaping', () => {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const beat = (nodeId: string) => routing.heartbeat({ nodeId, region: 'local', url: `ws://${nodeId}` });
      const pin = (docKey: string, nodeId: string) => routing.pinDocument({ docKey, tenantId: 'live', region: 'local', nodeId });
      const connect = (connectionId: string, docKey: string, nodeId: string) => routing.addConnection({ connectionId, docKey, nodeId, userId: 'u' });

      it('CLUSTER-3: heartbeat reports whether the node was still registered', async () => {
        assert.equal(await beat('node-a'), false, 'first beat registers');
        assert.equal(await beat('node-a'), true);
        await routing.removeNode('node-a');
        assert.equal(await beat('node-a'), false, 'a removed (or reaped) node notices');
        assert.equal(await beat('node-a'), true);
      });

      it("CLUSTER-3: reaping a silent node deletes its rows and returns the pinned documents nobody else uses", async () => {
        await stores.tenants.createTenant({ tenantId: 'live', maxDocuments: 10 });
        await beat('dead');
        await beat('alive');
        await pin('shared', 'dead');
        await connect('d1', 'shared', 'dead');
        await connect('a1', 'shared', 'alive');
        await pin('only-dead-users', 'alive');
        await connect('d2', 'only-dead-users', 'dead');
        await connect('d3', 'only-dead-users', 'dead');
        await pin('pinned-by-dead', 'dead');
        await connect('d4', 'never-pinned', 'dead');
        await pin('unrelated', 'alive');
        await sleep(60);
        await beat('alive');
        const reaped = await routing.reapStaleNodes(40, 'alive');
        assert.deepEqual(reaped.nodeIds, ['dead']);
        assert.deepEqual(reaped.orphans.map(({ docKey }) => docKey).sort(), ['only-dead-users', 'pinned-by-dead']);
        for (const orphan of reaped.orphans) assert.ok(orphan.silentForMs >= 40 && orphan.silentForMs < 10_000, `silent for ${orphan.silentForMs} ms`);
        assert.equal(await routing.countConnections('shared'), 1, "the live node's connection stays");
        assert.equal(await routing.countConnections('only-dead-users'), 0);
        assert.equal(await routing.countConnections('never-pinned'), 0);
        assert.notEqual(await routing.getRoute('pinned-by-dead'), null, 'reaping reports orphans; ending them is the caller\'s job');
        assert.deepEqual(await routing.liveNodeIds(40), ['alive']);
        assert.deepEqual(await routing.reapStaleNodes(40, 'alive'), { nodeIds: [], orphans: [] }, 'reaped once');
        assert.equal(await beat('dead'), false, 'the reaped node notices at its next beat');
      });

      it('CLUSTER-3: a node never reaps itself, and of concurrent reapers exactly one reports a node', async () => {
        await beat('quiet-self');
        await beat('gone');
        await sleep(60);
        const results = await Promise.all([
          routing.reapStaleNodes(40, 'quiet-self'),
          routing.reapStaleNodes(40, 'quiet-self'),
          routing.reapStaleNodes(40, 'quiet-self'),
        ]);
        assert.deepEqual(results.flatMap(({ nodeIds }) => nodeIds), ['gone']);
        assert.deepEqual(await routing.liveNodeIds(60_000), ['quiet-self']);
        assert.deepEqual(await routing.liveNodeIds(40), []);
      });
    });

    describe('listing an app\'s documents', () => {
      it('API-6: lists one app\'s pinned documents in key order, page by page, with their connections on every node', async () => {
        await stores.tenants.createTenant({ tenantId: 't1', maxDocuments: 50 });
        await stores.tenants.createTenant({ tenantId: 't10', maxDocuments: 50 });
        // Names that a LIKE pattern or a locale collation would get wrong, and a neighbouring tenant.
        const names = ['b', 'a%', 'a_', 'A', 'z::x', 'é'];
        for (const name of names) await routing.pinDocument(routeFor('t1', name));
        await routing.pinDocument(routeFor('t10', 'other'));
        await routing.pinDocument({ ...routeFor('t1', 'x'), docKey: 't1::app2::x' });
        await routing.addConnection({ connectionId: 'c1', docKey: routeFor('t1', 'b').docKey, nodeId: 'node-a', userId: 'u' });
        await routing.addConnection({ connectionId: 'c2', docKey: routeFor('t1', 'b').docKey, nodeId: 'node-b', userId: 'u' });
        const prefix = 't1::app::';
        const first = await routing.listDocuments(prefix, null, 4);
        const second = await routing.listDocuments(prefix, first.at(-1)!.docKey, 4);
        const expected = names.map((name) => `${prefix}${name}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        assert.deepEqual([...first, ...second].map((row) => row.docKey), expected);
        assert.equal(second.length, 2);
        assert.deepEqual(await routing.listDocuments(prefix, second.at(-1)!.docKey, 4), []);
        const b = [...first, ...second].find((row) => row.docKey === `${prefix}b`)!;
        assert.equal(b.connections, 2);
        assert.equal(b.region, 'local');
        assert.ok(b.pinnedAt > 0);
        assert.ok(first.filter((row) => row.docKey !== b.docKey).every((row) => row.connections === 0));
      });
    });

    routingEpochContract(() => stores);

    describe('health and shutdown', () => {
      it('answers ping while open and fails it after close; close is idempotent', async () => {
        await routing.ping();
        await routing.close();
        await assert.rejects(routing.ping());
        await routing.close();
      });
    });
  });
}
