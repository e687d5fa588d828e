import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySyncHub, MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
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
