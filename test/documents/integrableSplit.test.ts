import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { splitIntegrable } from '../../src/documents/integrableSplit.js';
import { validateUpdate } from '../../src/documents/validateUpdate.js';
import { WiresocketError } from '../../src/errors.js';
import { seededRandom } from '../helpers/randomEditors.js';
import { ascendingClients, descendingClients, relaidUpdate } from '../helpers/updateLayout.js';

/** A copy of a document's state in a fresh document. */
function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

function visible(doc: Y.Doc): unknown {
  return { t: doc.getText('t').toString(), a: doc.getArray('a').toJSON(), m: doc.getMap('m').toJSON() };
}

/** Applies `update` to a copy of `base` the way the server does: only what integrates. */
function applySplit(base: Y.Doc, update: Uint8Array): { doc: Y.Doc; refused: boolean } {
  const doc = copyOf(base);
  const split = splitIntegrable(validateUpdate(update), (client) => Y.getState(doc.store, client));
  if (split.update) Y.applyUpdate(doc, split.update);
  return { doc, refused: split.refused };
}

/** Random edits by several writers, each update recorded as Yjs emits it. */
function editHistory(random: () => number, writers: number, steps: number): { updates: Uint8Array[]; docs: Y.Doc[] } {
  const docs = Array.from({ length: writers }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i * 7;
    return doc;
  });
  const updates: Uint8Array[] = [];
  for (const doc of docs) doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let step = 0; step < steps; step++) {
    const doc = docs[Math.floor(random() * writers)];
    const text = doc.getText('t');
    const roll = random();
    if (roll < 0.45) text.insert(Math.floor(random() * (text.length + 1)), String.fromCharCode(97 + (step % 26)));
    else if (roll < 0.6 && text.length > 0) text.delete(Math.floor(random() * text.length), 1);
    else if (roll < 0.75) doc.getArray('a').push([step]);
    else if (roll < 0.85) doc.getMap('m').set(`k${step % 5}`, step);
    else {
      // Someone hears someone else: later edits build on another writer's items.
      const other = docs[Math.floor(random() * writers)];
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
    }
  }
  return { updates, docs };
}

describe('splitIntegrable: what Yjs would integrate, decided without the document', () => {
  it('agrees with Y.applyUpdate on random updates against random partial states', () => {
    const random = seededRandom(20261201);
    let refusals = 0;
    let complete = 0;
    for (let round = 0; round < 60; round++) {
      const { updates, docs } = editHistory(random, 3, 40);
      // A base that holds a random prefix of each writer's history, integrated.
      const base = new Y.Doc();
      for (const update of updates) if (random() < 0.5) Y.applyUpdate(base, update);
      base.store.pendingStructs = null;
      base.store.pendingDs = null;
      const candidates = [
        ...updates.slice(-10),
        Y.encodeStateAsUpdate(docs[0]),
        Y.encodeStateAsUpdate(docs[1], Y.encodeStateVector(base)),
        Y.mergeUpdates(updates.filter(() => random() < 0.3)),
      ];
      for (const update of candidates) {
        const byYjs = copyOf(base);
        Y.applyUpdate(byYjs, update);
        const ours = applySplit(base, update);
        assert.equal(hasPending(ours.doc), false, 'the part leaves nothing pending');
        assert.deepEqual(Y.encodeStateVector(ours.doc), Y.encodeStateVector(byYjs), 'the part integrates what Yjs integrates');
        assert.deepEqual(visible(ours.doc), visible(byYjs));
        assert.equal(ours.refused, hasPending(byYjs), 'refused exactly when Yjs would keep something pending');
        if (ours.refused) refusals++;
        else complete++;
      }
    }
    assert.ok(refusals > 20 && complete > 20, `both outcomes exercised (${refusals} refused, ${complete} complete)`);
  });

  it('refuses a struct whose own client has a gap, and one placed next to content nobody sent', () => {
    const writer = new Y.Doc();
    writer.clientID = 5000;
    const updates: Uint8Array[] = [];
    writer.on('update', (update: Uint8Array) => updates.push(update));
    writer.getText('t').insert(0, 'ab');
    writer.getText('t').insert(2, 'c');
    const empty = new Y.Doc();
    const gapped = splitIntegrable(validateUpdate(updates[1]), (client) => Y.getState(empty.store, client));
    assert.equal(gapped.refused, true);
    assert.equal(gapped.update, null);
    assert.deepEqual([...gapped.missing], [[5000, 1]]);

    const other = new Y.Doc();
    other.clientID = 6000;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(writer));
    const fromOther: Uint8Array[] = [];
    other.on('update', (update: Uint8Array) => fromOther.push(update));
    other.getText('t').insert(1, 'X');
    const placed = splitIntegrable(validateUpdate(fromOther[0]), () => 0);
    assert.equal(placed.refused, true);
    assert.equal(placed.update, null);
    assert.ok(placed.missing.has(5000));
  });

  it('keeps what integrates of a mixed update, and deletions only of clocks the document has', () => {
    const a = new Y.Doc();
    a.clientID = 10;
    a.getText('t').insert(0, 'hello');
    const b = new Y.Doc();
    b.clientID = 20;
    b.getArray('a').push(['independent']);
    const c = new Y.Doc();
    c.clientID = 30;
    Y.applyUpdate(c, Y.encodeStateAsUpdate(a));
    c.getText('t').insert(5, '!');
    c.getText('t').delete(0, 1);
    // b's content stands alone; c's insert and delete build on a's text, which the server lacks.
    const mixed = Y.mergeUpdates([Y.encodeStateAsUpdate(b), Y.encodeStateAsUpdate(c, Y.encodeStateVector(a))]);
    const server = new Y.Doc();
    const split = splitIntegrable(validateUpdate(mixed), (client) => Y.getState(server.store, client));
    assert.equal(split.refused, true);
    assert.ok(split.update);
    Y.applyUpdate(server, split.update);
    assert.equal(hasPending(server), false);
    assert.deepEqual(server.getArray('a').toJSON(), ['independent']);
    assert.equal(server.getText('t').toString(), '');
    assert.deepEqual([...split.reach], [[20, 1]]);
  });

  it('stores an update as it is when everything integrates', () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    doc.getText('t').insert(0, 'x');
    const split = splitIntegrable(validateUpdate(updates[0]), () => 0);
    assert.equal(split.refused, false);
    assert.equal(split.update, updates[0]);
  });
});

describe('validateUpdate: the layout of client runs', () => {
  const twoWriters = (): Uint8Array => {
    const a = new Y.Doc();
    a.clientID = 100;
    a.getText('t').insert(0, 'aaa');
    const b = new Y.Doc();
    b.clientID = 200;
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    b.getText('t').insert(3, 'bbb');
    return Y.encodeStateAsUpdate(b);
  };

  it('flags clients in ascending order, and the re-encoded update survives Y.mergeUpdates', () => {
    const ascending = relaidUpdate(twoWriters(), ascendingClients);
    const checked = validateUpdate(ascending);
    assert.equal(checked.inYjsOrder, false);
    // Why it matters: merged as it is, the ascending update loses client 200's text.
    const third = new Y.Doc();
    third.clientID = 150;
    Y.applyUpdate(third, twoWriters());
    third.getText('t').insert(0, 'c');
    const thirdUpdate = Y.encodeStateAsUpdate(third, Y.encodeStateVector(new Y.Doc()));
    const split = splitIntegrable(checked, () => 0);
    assert.equal(split.refused, false);
    assert.notEqual(split.update, ascending);
    const merged = new Y.Doc();
    Y.applyUpdate(merged, Y.mergeUpdates([split.update!, thirdUpdate]));
    assert.equal(merged.getText('t').toString(), 'caaabbb');
    assert.equal(validateUpdate(twoWriters()).inYjsOrder, true);
  });

  it('refuses a client with two runs, and a run announced with no structs', () => {
    const repeated = relaidUpdate(twoWriters(), descendingClients, true);
    assert.throws(() => validateUpdate(repeated), (error) => error instanceof WiresocketError && error.code === 'UPDATE_INVALID');
    const encoder = new Y.UpdateEncoderV1();
    encoding.writeVarUint(encoder.restEncoder, 1);
    encoding.writeVarUint(encoder.restEncoder, 0);
    encoder.writeClient(7);
    encoding.writeVarUint(encoder.restEncoder, 0);
    encoding.writeVarUint(encoder.restEncoder, 0);
    assert.throws(() => validateUpdate(encoder.toUint8Array()), (error) => error instanceof WiresocketError && error.code === 'UPDATE_INVALID');
  });
});
