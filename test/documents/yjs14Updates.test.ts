import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Y14 from '@y/y';
import * as Y from 'yjs';
import { splitIntegrable } from '../../src/documents/integrableSplit.js';
import { validateUpdate } from '../../src/documents/validateUpdate.js';
import { seededRandom } from '../helpers/randomEditors.js';

/** Edits by two Yjs 14 writers that see each other's updates: text, formats, deletes, maps, arrays, nesting. */
function yjs14History(random: () => number, steps: number): Uint8Array[] {
  const writers = [new Y14.Doc(), new Y14.Doc()];
  writers[0]!.clientID = 1401;
  writers[1]!.clientID = 1402;
  const updates: Uint8Array[] = [];
  for (const [index, doc] of writers.entries()) {
    doc.on('update', (update: Uint8Array) => {
      updates.push(update);
      Y14.applyUpdate(writers[1 - index]!, update, 'peer');
    });
  }
  for (let step = 0; step < steps; step++) {
    const doc = writers[Math.floor(random() * 2)]!;
    const text = doc.get('text');
    const choice = Math.floor(random() * 6);
    if (choice === 0 || text.length === 0) text.insert(Math.floor(random() * (text.length + 1)), `s${step}`);
    else if (choice === 1) text.delete(Math.floor(random() * text.length), 1);
    else if (choice === 2) text.format(0, Math.min(2, text.length), { bold: step % 2 === 0 });
    else if (choice === 3) doc.get('map').setAttr(`k${step % 5}`, step);
    else if (choice === 4) doc.get('list').insert(0, [step, `v${step}`]);
    else {
      const child = new Y14.Type();
      child.setAttr('depth', step);
      doc.get('nest').setAttr(`child${step % 3}`, child);
    }
  }
  return updates;
}

describe('the update checks take Yjs 14 updates (issue 16)', () => {
  it('CLIENT-4: every update @y/y makes passes validateUpdate and integrableSplit whole, and the server\'s Yjs 13 merges and applies them as Yjs 14 does', () => {
    const updates = yjs14History(seededRandom(0x1416), 400);
    const server = new Y.Doc();
    for (const [index, update] of updates.entries()) {
      const split = splitIntegrable(validateUpdate(update), (client) => Y.getState(server.store, client));
      assert.equal(split.refused, false, `update ${index} was refused`);
      assert.ok(split.update, `update ${index} was stored`);
      Y.applyUpdate(server, split.update);
    }
    assert.equal(server.store.pendingStructs, null);
    assert.equal(server.store.pendingDs, null);
    const reference = new Y14.Doc();
    Y14.applyUpdate(reference, Y14.mergeUpdates(updates.map((update) => new Uint8Array(update))));
    assert.deepEqual(Buffer.from(Y.encodeStateAsUpdate(server)), Buffer.from(Y14.encodeStateAsUpdate(reference)), 'the same state');
    // Compaction merges stored updates with Yjs 13: the merge must hold what Yjs 14's does.
    const merged = Y.mergeUpdates(updates);
    const fromMerge = new Y14.Doc();
    Y14.applyUpdate(fromMerge, merged);
    assert.deepEqual(Buffer.from(Y14.encodeStateVector(fromMerge)), Buffer.from(Y14.encodeStateVector(reference)));
    assert.equal(fromMerge.get('text').toString(), reference.get('text').toString());
    const mergedSplit = splitIntegrable(validateUpdate(merged), () => 0);
    assert.equal(mergedSplit.refused, false, 'a merged Yjs 14 history is whole too');
  });
});
