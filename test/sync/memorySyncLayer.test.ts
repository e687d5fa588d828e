import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerCompactionMerger, type CompactionMerger } from '../../src/sync/compactionMerger.js';
import { integrateUpdates } from '../../src/sync/integrateUpdates.js';
import { MemorySyncHub, MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { SteppedQueue } from '../helpers/steppedQueue.js';
import { docFrom, freshDocKey, idsOnce, insertedIds, RecordingListener, TextWriter, textOf } from './syncFixtures.js';
import { syncLayerContract } from './syncLayerContract.js';

function memoryPair(hub = new MemorySyncHub()) {
  return {
    nodes: [new MemorySyncLayer('node-a', hub), new MemorySyncLayer('node-b', hub)] as [MemorySyncLayer, MemorySyncLayer],
    nodeIds: ['node-a', 'node-b'] as [string, string],
    close: async () => undefined,
  };
}

syncLayerContract('memory (two nodes on one hub)', async () => memoryPair());
syncLayerContract('memory (compacting every 4 updates)', async () => memoryPair(new MemorySyncHub(4)));

/**
 * The hub keeps, per document, its merged state followed by the updates appended since the last
 * compaction. Nothing public exposes that list, so this test reads it to prove it stays bounded.
 */
function heldUpdates(hub: MemorySyncHub, docKey: string): number {
  const internals = hub as unknown as { documents: Map<string, { updates: Uint8Array[] }> };
  const document = internals.documents.get(docKey);
  if (!document) throw new Error(`the hub holds no document ${docKey}`);
  return document.updates.length;
}

describe('MemorySyncLayer', () => {
  for (const compactEvery of [16, 256]) {
    it(`SYNC-1: compaction keeps the per-document update list near ${compactEvery}; 1,000 appends, state exact`, async () => {
      const hub = new MemorySyncHub(compactEvery);
      const [a, b] = memoryPair(hub).nodes;
      const docKey = freshDocKey('compaction');
      await a.initDocument(docKey);
      const writer = new TextWriter();
      let largest = 0;
      for (const update of writer.typeEach('0123456789'.repeat(100))) {
        await a.append(docKey, update);
        // Appends come from socket reads, one turn each: the housekeeping queue merges between them.
        await new Promise(setImmediate);
        largest = Math.max(largest, heldUpdates(hub, docKey));
      }
      // Compaction runs beside the appends: a few may land while it integrates.
      assert.ok(largest <= compactEvery + 4, `held ${largest} updates`);
      const attachment = await b.attach(docKey, new RecordingListener());
      assert.equal(heldUpdates(hub, docKey), 1);
      assert.equal(textOf(docFrom(attachment.state)), writer.text);
      assert.deepEqual(new Set(insertedIds(attachment.state)), new Set(idsOnce(writer.updates)));
      await attachment.detach();
    });
  }

  it('PERF-6: 100 documents written in step compact at counts spread over the last quarter before the threshold', async () => {
    const mergedAt: number[] = [];
    const merger: CompactionMerger = {
      merge: async (updates) => {
        mergedAt.push(updates.length);
        return integrateUpdates(updates);
      },
      prewarm: () => undefined,
      close: async () => undefined,
    };
    const hub = new MemorySyncHub(64, (error) => assert.fail(String(error)), merger);
    const layer = new MemorySyncLayer('node-a', hub);
    const docKeys = Array.from({ length: 100 }, (_, index) => freshDocKey(`in-step-${index}`));
    const writers = docKeys.map(() => new TextWriter());
    for (const docKey of docKeys) await layer.initDocument(docKey);
    const streams = writers.map((writer) => writer.typeEach('x'.repeat(64)));
    for (let round = 0; round < 64; round++) {
      for (const [index, docKey] of docKeys.entries()) await layer.append(docKey, streams[index][round]);
    }
    assert.equal(mergedAt.length, 100, 'every document compacted once');
    assert.ok(Math.min(...mergedAt) >= 48, `the earliest at ${Math.min(...mergedAt)} updates`);
    assert.ok(new Set(mergedAt).size >= 8, `compacted at ${new Set(mergedAt).size} distinct counts: ${mergedAt.join(',')}`);
    assert.ok(mergedAt.filter((count) => count === 64).length < 30, 'not most of them at the threshold');
    for (const [index, docKey] of docKeys.entries()) {
      const attachment = await layer.attach(docKey, new RecordingListener());
      assert.equal(textOf(docFrom(attachment.state)), writers[index].text);
      await attachment.detach();
    }
  });

  it('SYNC-1/PERF-6: 1,000 documents due for compaction at once merge over many turns of the housekeeping queue, none lost', async () => {
    // Each merge "takes" 1 ms of the fake clock; the budget is 3 ms a turn.
    const stepped = new SteppedQueue(3, 1);
    const merger = new WorkerCompactionMerger(undefined, stepped.queue);
    // Draws that put every document's compaction at the threshold itself: all 1,000 due at once.
    const hub = new MemorySyncHub(4, (error) => assert.fail(String(error)), merger, () => 0.999_999);
    const layer = new MemorySyncLayer('node-a', hub);
    const docKeys = Array.from({ length: 1000 }, (_, index) => freshDocKey(`burst-${index}`));
    const writers = docKeys.map(() => new TextWriter());
    for (const docKey of docKeys) await layer.initDocument(docKey);
    for (const [index, docKey] of docKeys.entries()) {
      for (const update of writers[index].typeEach('abcd')) await layer.append(docKey, update);
    }
    const compacted = () => docKeys.filter((docKey) => heldUpdates(hub, docKey) === 1).length;
    assert.equal(compacted(), 0, 'nothing merged inside the appends');
    assert.equal(stepped.queue.size, 1000, 'every document queued its merge');
    stepped.runTurn();
    await new Promise(setImmediate);
    assert.equal(compacted(), 3, 'the first turn merges within its budget, not all 1,000');
    const turns = 1 + stepped.runAll();
    await new Promise(setImmediate);
    assert.ok(turns >= 300, `${turns} turns`);
    assert.equal(compacted(), 1000, 'every document merged eventually');
    for (const [index, docKey] of docKeys.entries()) {
      const attachment = await layer.attach(docKey, new RecordingListener());
      assert.equal(textOf(docFrom(attachment.state)), writers[index].text);
      await attachment.detach();
    }
    await merger.close();
  });

  it('SYNC-1: a document deleted while its merge waits in the queue stays deleted; one appended meanwhile keeps every update', async () => {
    const stepped = new SteppedQueue();
    const merger = new WorkerCompactionMerger(undefined, stepped.queue);
    // Draws that put the compaction at the threshold itself (the 4th append), not before it.
    const hub = new MemorySyncHub(4, (error) => assert.fail(String(error)), merger, () => 0.999_999);
    const layer = new MemorySyncLayer('node-a', hub);
    const [gone, busy] = [freshDocKey('queued-delete'), freshDocKey('queued-append')];
    const writer = new TextWriter();
    await layer.initDocument(gone);
    await layer.initDocument(busy);
    for (const update of new TextWriter().typeEach('abcd')) await layer.append(gone, update);
    for (const update of writer.typeEach('abcd')) await layer.append(busy, update);
    await layer.deleteDocument(gone);
    for (const update of writer.typeEach('efg')) await layer.append(busy, update);
    stepped.runAll();
    await new Promise(setImmediate);
    assert.equal(hub.has(gone), false);
    assert.equal(heldUpdates(hub, busy), 1 + 3, 'the merged prefix, then what came after it');
    const attachment = await layer.attach(busy, new RecordingListener());
    assert.equal(textOf(docFrom(attachment.state)), 'abcdefg');
    await attachment.detach();
    await merger.close();
  });

  it('SYNC-4: deleteDocument removes the document from the hub', async () => {
    const hub = new MemorySyncHub();
    const [a, b] = memoryPair(hub).nodes;
    const docKey = freshDocKey('hub-size');
    await a.initDocument(docKey);
    const attachment = await b.attach(docKey, new RecordingListener());
    await a.append(docKey, new TextWriter().type('x'));
    assert.equal(hub.size, 1);
    await a.deleteDocument(docKey);
    assert.equal(hub.size, 0);
    await attachment.detach();
    assert.equal(hub.size, 0, 'a late detach must not bring the document back');
  });

  it('SYNC-2: a layer built without a hub is a single node of its own', async () => {
    const alone = new MemorySyncLayer('alone');
    const other = new MemorySyncLayer('other');
    const docKey = freshDocKey('own-hub');
    await alone.initDocument(docKey);
    await alone.append(docKey, new TextWriter().type('private'));
    await assert.rejects(other.attach(docKey, new RecordingListener()));
    await alone.close();
    await other.close();
  });
});
