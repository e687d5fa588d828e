import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import * as Y from 'yjs';
import { integrateUpdates } from '../../src/sync/integrateUpdates.js';
import { RedisCompactor, type CompactionOutcome, type CompactorContext } from '../../src/sync/redisCompactor.js';
import { documentRedisKeys } from '../../src/sync/redisKeys.js';
import type { RedisCommandClient } from '../../src/sync/redisScript.js';
import type { RedisSyncLayer, RedisSyncLayerOptions } from '../../src/sync/redisSyncLayer.js';
import { killAndWait, startRedisCluster, type RedisCluster } from '../helpers/redisCluster.js';
import { eventually } from '../helpers/yjsClient.js';
import { docFrom, freshDocKey, idsOnce, insertedIds, RecordingListener, TextWriter, textOf } from './syncFixtures.js';
import { syncLayerContract } from './syncLayerContract.js';
import {
  adminClient,
  deleteKeysUnder,
  keysUnder,
  killClientsNamed,
  LayerPool,
  redisAnswers,
  redisLayer,
  redisPairFactory,
  redisServerInstalled,
  standaloneRedisUrl,
} from './redisTestSupport.js';

/** The only place this test reads the environment: in CI a missing Redis is a failure. */
const ci = process.env.CI === 'true';
const runPrefix = `wstest-${randomUUID().slice(0, 8)}`;
const [standaloneUp, serverInstalled] = await Promise.all([redisAnswers(), redisServerInstalled()]);
const missing = !standaloneUp ? 'no Redis answers at 127.0.0.1:6379' : !serverInstalled ? 'the redis-server binary is not installed' : null;

if (missing === null) {
  describe('Redis sync layer on standalone Redis', standaloneTests);
  describe('Redis sync layer on a 3-master Redis Cluster', clusterTests);
} else if (ci) {
  it('Redis is required in CI (Redis 7 on 127.0.0.1:6379 and the redis-server binary)', () => {
    assert.fail(`${missing}: the Redis sync layer tests cannot run`);
  });
} else {
  console.warn(
    `\n*** SKIPPING the Redis sync layer tests: ${missing}. ***\n*** Start Redis 7 on 127.0.0.1:6379 (with redis-server on PATH) to run them; with CI=true this fails. ***\n`,
  );
  it.skip(`Redis sync layer tests (${missing})`, () => undefined);
}

function standaloneTests(): void {
  const prefix = `${runPrefix}-s`;
  const admin = adminClient();
  after(async () => {
    await deleteKeysUnder(admin, prefix);
    admin.disconnect();
  });
  const pool = new LayerPool(() => ({ url: standaloneRedisUrl, keyPrefix: prefix }));
  afterEach(() => pool.closeAll());
  const layer = (options: Partial<RedisSyncLayerOptions> = {}) => pool.layer(options);

  syncLayerContract('redis standalone (two nodes)', redisPairFactory(standaloneRedisUrl, prefix));
  syncLayerContract('redis standalone (compacting every 4 updates)', redisPairFactory(standaloneRedisUrl, prefix, { compactEveryUpdates: 4 }));

  describe('compaction', () => {
    it('SYNC-1/CLUSTER-8: compacting every 100 updates keeps the stream within about 1.25 windows; 2,000 appends, state exact', async () => {
      const [a, b] = [layer({ compactEveryUpdates: 100 }), layer()];
      const docKey = freshDocKey('bounded');
      const keys = documentRedisKeys(prefix, docKey);
      await a.initDocument(docKey);
      const writer = new TextWriter();
      let longest = 0;
      for (const [index, update] of writer.typeEach('0123456789'.repeat(200)).entries()) {
        await a.append(docKey, update);
        if (index % 10 === 9) longest = Math.max(longest, await admin.xlen(keys.stream));
      }
      await a.close();
      assert.ok(longest <= 100 + 25 + 25, `the stream held ${longest} entries`);
      assert.ok(Number(await admin.hget(keys.state, 'pn')) < 100, 'pending updates after the last compaction');
      await assertStateIs(b, docKey, writer.updates);
    });

    it('PERF-6: 40 documents written in step compact at counts spread over the last quarter before the threshold', async () => {
      const writerLayer = layer({ compactEveryUpdates: 40 });
      const docKeys = Array.from({ length: 40 }, (_, index) => freshDocKey(`in-step-${index}`));
      const writers = docKeys.map(() => new TextWriter());
      for (const docKey of docKeys) await writerLayer.initDocument(docKey);
      const streams = writers.map((writer) => writer.typeEach('y'.repeat(40)));
      // The layer's compactor is internal; waiting for it after each round makes each one read
      // exactly the appends of the rounds so far.
      const compactor = (writerLayer as unknown as { compactor: RedisCompactor }).compactor;
      for (let round = 0; round < 40; round++) {
        await Promise.all(docKeys.map((docKey, index) => writerLayer.append(docKey, streams[index][round])));
        await compactor.idle();
      }
      // Each compaction takes what the stream holds when it reads; what came after stays pending.
      // All at the threshold, every document would be left with none or nearly none.
      const pending = await Promise.all(docKeys.map((docKey) => admin.hget(documentRedisKeys(prefix, docKey).state, 'pn').then(Number)));
      assert.ok(Math.max(...pending) <= 10, `at most ${Math.max(...pending)} pending`);
      assert.ok(new Set(pending).size >= 4, `pending counts ${pending.join(',')}`);
      for (const [index, docKey] of docKeys.entries()) await assertStateIs(layer(), docKey, writers[index].updates);
    });

    it('SYNC-1/CLUSTER-8: two nodes compacting the same document at once, between batches of concurrent writes from both, lose nothing', async () => {
      // The layers' own compactors are kept out of it, so every round below is a real race.
      const [a, b, reader] = [layer({ compactEveryUpdates: 1_000_000 }), layer({ compactEveryUpdates: 1_000_000 }), layer()];
      const docKey = freshDocKey('racing-compactors');
      const keys = documentRedisKeys(prefix, docKey);
      await a.initDocument(docKey);
      const [writerA, writerB] = [new TextWriter(1), new TextWriter(2)];
      const [fromA, fromB] = [writerA.typeEach('a'.repeat(300)), writerB.typeEach('b'.repeat(300))];
      const compactors = [racingCompactor(admin, prefix), racingCompactor(admin, prefix)];
      for (let start = 0; start < 300; start += 30) {
        await Promise.all([...fromA.slice(start, start + 30).map((update) => a.append(docKey, update)), ...fromB.slice(start, start + 30).map((update) => b.append(docKey, update))]);
        // Both read before either writes (one connection, in order): exactly one may win.
        const outcomes = await Promise.all(compactors.map((compactor) => compactor.compactOnce(docKey)));
        assert.deepEqual(outcomes.map(({ kind }) => kind).sort(), ['superseded', 'written']);
      }
      assert.notEqual(await admin.hget(keys.state, 'id'), '0-0', 'the state was compacted');
      assert.ok((await admin.xlen(keys.stream)) < fromA.length + fromB.length, 'the stream was trimmed');
      await assertStateIs(reader, docKey, [...fromA, ...fromB]);
    });

    it('SYNC-1: compaction by both writing nodes, at a small window, under concurrent appends, loses nothing', async () => {
      const [a, b, reader] = [layer({ compactEveryUpdates: 3 }), layer({ compactEveryUpdates: 3 }), layer()];
      const docKey = freshDocKey('compacting-writers');
      await a.initDocument(docKey);
      const [fromA, fromB] = [new TextWriter(1).typeEach('a'.repeat(300)), new TextWriter(2).typeEach('b'.repeat(300))];
      await Promise.all([...fromA.map((update) => a.append(docKey, update)), ...fromB.map((update) => b.append(docKey, update))]);
      await Promise.all([a.close(), b.close()]);
      await assertStateIs(reader, docKey, [...fromA, ...fromB]);
    });

    it('PERF-6: 20 documents due at once compact at most 2 at a time, in request order, and every one is compacted', async () => {
      const writer = layer({ compactEveryUpdates: 1_000_000 });
      const docKeys = Array.from({ length: 20 }, (_, index) => freshDocKey(`due-together-${index}`));
      // Document i is written by Yjs client i + 1, so a merge shows whose it is.
      for (const [index, docKey] of docKeys.entries()) {
        await writer.initDocument(docKey);
        for (const update of new TextWriter(index + 1).typeEach('0123456789')) await writer.append(docKey, update);
      }
      let inFlight = 0;
      let mostAtOnce = 0;
      const merged: string[] = [];
      const mergeOrder: number[] = [];
      const compactor = new RedisCompactor({
        client: async () => admin as unknown as RedisCommandClient,
        keyPrefix: prefix,
        ttlSeconds: 600,
        policy: { everyUpdates: 5, everyBytes: 1_000_000 },
        merger: {
          // The real merge, counted: how many documents this node merges at once.
          merge: async (parts) => {
            mergeOrder.push([...Y.decodeStateVector(Y.encodeStateVectorFromUpdate(parts[1])).keys()][0] - 1);
            mostAtOnce = Math.max(mostAtOnce, ++inFlight);
            await new Promise((resolve) => setTimeout(resolve, 5));
            inFlight--;
            return integrateUpdates(parts);
          },
          prewarm: () => undefined,
          close: async () => undefined,
        },
        onError: (error) => assert.fail(error instanceof Error ? error : String(error)),
      });
      for (const docKey of docKeys) compactor.request(docKey);
      compactor.request(docKeys[19]);
      assert.deepEqual(compactor.backlog, { running: 2, waiting: 18 });
      const order = docKeys.map((docKey) => documentRedisKeys(prefix, docKey).state);
      await compactor.idle();
      assert.equal(mostAtOnce, 2);
      assert.deepEqual(mergeOrder, docKeys.map((_, index) => index));
      for (const [index, stateKey] of order.entries()) {
        merged.push(await admin.hget(stateKey, 'id').then((id) => `${index}:${id === '0-0' ? 'not compacted' : 'compacted'}`));
      }
      assert.deepEqual(merged, order.map((_, index) => `${index}:compacted`));
      assert.deepEqual(compactor.backlog, { running: 0, waiting: 0 });
    });

    it('PERF-6: a compactor refuses a concurrency below 1', () => {
      assert.throws(() => new RedisCompactor({ ...racingCompactorContext(admin, prefix), maxConcurrent: 0 }), /maxConcurrent must be a positive integer/);
    });

    it('CLUSTER-8: Redis memory for a document that received 50,000 small updates from two nodes stays below 3x its compacted size', async (t) => {
      const [a, b, reader] = [layer({ nodeId: 'ip-10-20-30-40.eu-west-1.compute.internal:1234' }), layer({ nodeId: randomUUID() }), layer()];
      const docKey = freshDocKey('fifty-thousand');
      const keys = documentRedisKeys(prefix, docKey);
      await a.initDocument(docKey);
      const [writerA, writerB] = [new TextWriter(1), new TextWriter(2)];
      const [fromA, fromB] = [writerA.typeEach('0123456789'.repeat(2500)), writerB.typeEach('abcdefghij'.repeat(2500))];
      const memory = async () => Number(await admin.memory('USAGE', keys.state, 'SAMPLES', '0')) + Number((await admin.memory('USAGE', keys.stream, 'SAMPLES', '0')) ?? 0);
      const samples: number[] = [];
      for (let start = 0; start < fromA.length; start += 100) {
        await Promise.all([...fromA.slice(start, start + 100).map((update) => a.append(docKey, update)), ...fromB.slice(start, start + 100).map((update) => b.append(docKey, update))]);
        if (start % 500 === 0) samples.push(await memory());
      }
      await Promise.all([a.close(), b.close()]);
      samples.push(await memory());
      const compacted = integrateUpdates([...fromA, ...fromB]).byteLength;
      const peak = Math.max(...samples);
      t.diagnostic(`compacted ${compacted} B; Redis peak ${peak} B (${(peak / compacted).toFixed(2)}x), at the end ${samples.at(-1)} B; stream ${await admin.xlen(keys.stream)} entries`);
      assert.ok(peak < 3 * compacted, `peak ${peak} B against a compacted size of ${compacted} B`);
      await assertStateIs(reader, docKey, [...fromA, ...fromB]);
    });
  });

  describe('catch-up', () => {
    it('SYNC-2: a node whose subscriber connection was killed gets every update appended meanwhile, once', async () => {
      const nodeId = `reader-${randomUUID()}`;
      const [a, b] = [layer(), layer({ nodeId })];
      const docKey = freshDocKey('killed-subscriber');
      await a.initDocument(docKey);
      const listener = new RecordingListener();
      const attachment = await b.attach(docKey, listener);
      const writer = new TextWriter();
      await a.append(docKey, writer.type('before '));
      await eventually(() => listener.updates.length === 1, 5000, 'the first update');
      assert.equal(await killClientsNamed(admin, `${nodeId}:subscriber`), 1);
      // Sent at once: Redis runs them before the killed subscriber can be back.
      await Promise.all(writer.typeEach('appended while the reader was away').map((update) => a.append(docKey, update)));
      const expected = idsOnce(writer.updates);
      await eventually(() => listener.updates.flatMap(insertedIds).length >= expected.length, 8000, 'the missed updates');
      assert.deepEqual(idsOnce(listener.updates), expected);
      await attachment.detach();
    });

    it('SYNC-2: a reader the trim overtook while it was away still converges', async () => {
      const nodeId = `reader-${randomUUID()}`;
      const [a, b] = [layer({ compactEveryUpdates: 2 }), layer({ nodeId })];
      const docKey = freshDocKey('overtaken');
      await a.initDocument(docKey);
      const listener = new RecordingListener();
      const attachment = await b.attach(docKey, listener);
      const writer = new TextWriter();
      assert.equal(await killClientsNamed(admin, `${nodeId}:subscriber`), 1);
      for (const update of writer.typeEach('x'.repeat(60))) await a.append(docKey, update);
      await eventually(() => textOf(docFrom(attachment.state, listener.updates)) === writer.text, 8000, 'convergence');
      await attachment.detach();
    });
  });

  describe('keys', () => {
    it('SYNC-4: a document is two keys with its hash tag; awareness stores nothing; deleteDocument removes both', async () => {
      const a = layer();
      const docKey = `${randomUUID()}::app::a {tricky}: name}`;
      const keys = documentRedisKeys(prefix, docKey);
      const tag = `{${Buffer.from(docKey).toString('base64url')}}`;
      for (const name of Object.values(keys)) assert.ok(name.includes(tag), name);
      await a.initDocument(docKey);
      await a.append(docKey, new TextWriter().type('x'));
      await a.publishAwareness(docKey, new Uint8Array([0]));
      const ofDoc = async () => (await keysUnder(admin, prefix)).filter((key) => key.includes(tag)).sort();
      assert.deepEqual(await ofDoc(), [keys.state, keys.stream].sort());
      await a.deleteDocument(docKey);
      assert.deepEqual(await ofDoc(), []);
    });

    it('SYNC-4: keys carry a safety TTL, refreshed by append and attach', async () => {
      const a = layer({ keyTtlSeconds: 120 });
      const docKey = freshDocKey('ttl');
      const keys = documentRedisKeys(prefix, docKey);
      await a.initDocument(docKey);
      await a.append(docKey, new TextWriter().type('x'));
      for (const key of [keys.state, keys.stream]) assertTtlNear(await admin.ttl(key), 120, key);
      await Promise.all([admin.expire(keys.state, 5), admin.expire(keys.stream, 5)]);
      const attachment = await a.attach(docKey, new RecordingListener());
      for (const key of [keys.state, keys.stream]) assertTtlNear(await admin.ttl(key), 120, key);
      await attachment.detach();
    });
  });

  describe('Redis loss', () => {
    it('CLUSTER-6: a document whose state vanished under an attached listener (a Redis restart without persistence) asks it to resync', async () => {
      const [a, b] = [layer({ resyncIntervalMs: 100 }), layer()];
      const docKey = freshDocKey('vanished');
      const keys = documentRedisKeys(prefix, docKey);
      await a.initDocument(docKey);
      const listener = new RecordingListener();
      const attachment = await a.attach(docKey, listener);
      await b.append(docKey, new TextWriter().type('x'));
      await eventually(() => listener.updates.length === 1, 5000, 'the update');
      assert.equal(listener.resyncRequests, 0);
      await admin.del(keys.state, keys.stream);
      await eventually(() => listener.resyncRequests > 0, 3000, 'the periodic check to notice');
      await attachment.detach();
    });

    it('CLUSTER-6: a document created anew (another epoch) under an attached listener asks it to resync at the next append or check', async () => {
      const [a, b] = [layer({ resyncIntervalMs: 60_000 }), layer()];
      const docKey = freshDocKey('reborn');
      await a.initDocument(docKey);
      const listener = new RecordingListener();
      const attachment = await a.attach(docKey, listener);
      await a.append(docKey, new TextWriter().type('before'));
      assert.equal(listener.resyncRequests, 0);
      await b.deleteDocument(docKey);
      await b.initDocument(docKey);
      // Appending into the new incarnation succeeds, but the reply's epoch gives it away.
      await a.append(docKey, new TextWriter().type('after'));
      assert.equal(listener.resyncRequests, 1);
      await attachment.detach();
    });

    it('CLUSTER-5: reachable follows the connection: false while Redis cannot be reached', async () => {
      const [up, down] = [layer(), redisLayer('redis://127.0.0.1:1', prefix)];
      try {
        await up.ping();
        assert.equal(up.reachable, true);
        assert.equal(down.reachable, false);
      } finally {
        await down.close();
      }
      assert.equal(down.reachable, false, 'closed');
    });

    it('SYNC-1: with no Redis to reach, every call rejects within 2 s', async () => {
      const a = redisLayer('redis://127.0.0.1:1', prefix);
      const docKey = freshDocKey('unreachable');
      try {
        const started = Date.now();
        const calls = [a.initDocument(docKey), a.append(docKey, new TextWriter().type('x')), a.attach(docKey, new RecordingListener()), a.ping()];
        for (const call of calls) await assert.rejects(call);
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      } finally {
        await a.close();
      }
    });
  });
}

function clusterTests(): void {
  const prefix = `${runPrefix}-c`;
  const context = { cluster: null as RedisCluster | null };
  const cluster = (): RedisCluster => {
    if (!context.cluster) throw new Error('the test cluster is not running');
    return context.cluster;
  };
  before(async () => {
    context.cluster = await startRedisCluster();
  });
  after(async () => {
    await context.cluster?.stop();
  });
  // The URL is only known once `before` ran, so the pool and the factories read it late.
  const pool = new LayerPool(() => ({ url: cluster().url, keyPrefix: prefix }));
  afterEach(() => pool.closeAll());
  const layer = (options: Partial<RedisSyncLayerOptions> = {}) => pool.layer(options);

  syncLayerContract('redis cluster (two nodes)', async () => redisPairFactory(cluster().url, prefix)());
  syncLayerContract('redis cluster (compacting every 4 updates)', async () => redisPairFactory(cluster().url, prefix, { compactEveryUpdates: 4 })());

  it('SYNC-4: all names of a document map to one cluster slot, whatever its name holds', async () => {
    const node = adminClient(cluster().nodes[0].port);
    try {
      for (const name of ['plain', 'a}b', '{x}', 'a:b::c', '}}{{', 'ünïcødé 📝']) {
        const keys = documentRedisKeys(prefix, `tenant::app::${name}`);
        const slots = await Promise.all(Object.values(keys).map((key) => node.cluster('KEYSLOT', key)));
        assert.equal(new Set(slots).size, 1, `${name}: slots ${slots.join(', ')}`);
      }
    } finally {
      node.disconnect();
    }
  });

  it('SYNC-2: a node whose sharded subscriber was killed gets every update appended meanwhile, once', async () => {
    const nodeId = `reader-${randomUUID()}`;
    const [a, b] = [layer(), layer({ nodeId, resyncIntervalMs: 60_000 })];
    const docKey = freshDocKey('killed-sharded-subscriber');
    await a.initDocument(docKey);
    const listener = new RecordingListener();
    const attachment = await b.attach(docKey, listener);
    const writer = new TextWriter();
    await a.append(docKey, writer.type('before '));
    await eventually(() => listener.updates.length === 1, 5000, 'the first update');
    let killed = 0;
    for (const { port } of cluster().nodes) {
      const node = adminClient(port);
      killed += await killClientsNamed(node, `ssubscriber):wiresocket:${nodeId}`);
      node.disconnect();
    }
    assert.ok(killed >= 1, 'no sharded subscriber connection found');
    await Promise.all(writer.typeEach('appended while the reader was away').map((update) => a.append(docKey, update)));
    const expected = idsOnce(writer.updates);
    await eventually(() => listener.updates.flatMap(insertedIds).length >= expected.length, 8000, 'the missed updates');
    assert.deepEqual(idsOnce(listener.updates), expected);
    await attachment.detach();
  });

  // Last: it stops a master, which leaves the cluster without those slots.
  it('SYNC-1: when the master holding a document is gone, append rejects within 2 s', async () => {
    const a = layer();
    const docKey = freshDocKey('lost-master');
    await a.initDocument(docKey);
    await a.append(docKey, new TextWriter().type('stored'));
    const owner = await masterOf(cluster(), documentRedisKeys(prefix, docKey).state);
    await killAndWait(owner.process);
    const started = Date.now();
    await assert.rejects(a.append(docKey, new TextWriter().type('lost')));
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });
}

/** A compactor of its own (no layer around it), so a test can run two against each other. */
function racingCompactor(admin: Redis | Cluster, keyPrefix: string): RedisCompactor {
  return new RedisCompactor(racingCompactorContext(admin, keyPrefix));
}

function racingCompactorContext(admin: Redis | Cluster, keyPrefix: string): CompactorContext {
  return {
    client: async () => admin as unknown as RedisCommandClient,
    keyPrefix,
    ttlSeconds: 600,
    policy: { everyUpdates: 1, everyBytes: 1 },
    merger: { merge: async (updates) => integrateUpdates(updates), prewarm: () => undefined, close: async () => undefined },
    onError: (error) => {
      throw error;
    },
  };
}

/** A fresh attach on `layer` holds exactly the ids of `updates`, each once, and their text. */
async function assertStateIs(layer: RedisSyncLayer, docKey: string, updates: Uint8Array[]): Promise<void> {
  const attachment = await layer.attach(docKey, new RecordingListener());
  await attachment.detach();
  const expected = new Y.Doc();
  for (const update of updates) Y.applyUpdate(expected, update);
  assert.equal(textOf(docFrom(attachment.state)), textOf(expected));
  assert.deepEqual(new Set(idsOnce([attachment.state])), new Set(idsOnce(updates)));
}

function assertTtlNear(ttl: number, expected: number, key: string): void {
  assert.ok(ttl > expected - 10 && ttl <= expected, `${key}: TTL ${ttl}, expected about ${expected}`);
}

async function masterOf(cluster: RedisCluster, key: string): Promise<RedisCluster['nodes'][number]> {
  const node = adminClient(cluster.nodes[0].port);
  try {
    const slot = Number(await node.cluster('KEYSLOT', key));
    const ranges = (await node.cluster('SLOTS')) as unknown as Array<[number, number, [string, number, ...unknown[]]]>;
    const range = ranges.find(([first, last]) => slot >= first && slot <= last);
    const owner = cluster.nodes.find(({ port }) => port === range?.[2][1]);
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner;
  } finally {
    node.disconnect();
  }
}
