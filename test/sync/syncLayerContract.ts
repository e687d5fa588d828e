import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as Y from 'yjs';
import { encodeAwarenessUpdate } from '../../src/documents/encodeServerMessage.js';
import type { SyncAttachment, SyncLayer, SyncListener } from '../../src/sync/syncLayer.js';
import { eventually } from '../helpers/yjsClient.js';
import {
  deferred,
  docFrom,
  emptyState,
  freshDocKey,
  idsOnce,
  insertedIds,
  RecordingListener,
  TextWriter,
  textOf,
} from './syncFixtures.js';

/** Two nodes sharing one backend (for Redis: two layers on one Redis). */
export interface SyncLayerPair {
  nodes: [SyncLayer, SyncLayer];
  /** The node id each layer was created with. */
  nodeIds: [string, string];
  /** Closes both nodes and whatever the factory opened. */
  close(): Promise<void>;
}

export type SyncLayerPairFactory = () => Promise<SyncLayerPair>;

/**
 * The behaviour every SyncLayer adapter shares (the contract in src/sync/syncLayer.ts and the
 * SYNC-* rules of docs/SPEC.md). Each test gets a fresh pair of nodes and fresh document keys,
 * so a backend shared between runs cannot leak state into a test.
 *
 * Absence ("B never hears X") is proven with a barrier, never a sleep: something that must be
 * delivered after X is awaited first, so an X that were delivered would already be there.
 */
export function syncLayerContract(name: string, factory: SyncLayerPairFactory): void {
  describe(`SyncLayer contract: ${name}`, () => {
    const context = { pair: null as SyncLayerPair | null };
    const nodes = (): [SyncLayer, SyncLayer] => {
      if (!context.pair) throw new Error('no sync layer pair');
      return context.pair.nodes;
    };

    beforeEach(async () => {
      context.pair = await factory();
    });
    afterEach(async () => {
      await context.pair?.close();
      context.pair = null;
    });

    describe('SYNC-1 append', () => appendTests(nodes));
    describe('SYNC-2 attach', () => attachTests(nodes));
    describe('SYNC-2 concurrent attach', () => concurrentAttachTests(nodes));
    describe('SYNC-3 awareness', () => awarenessTests(nodes, () => context.pair?.nodeIds ?? ['', '']));
    describe('SYNC-4 delete and isolation', () => deleteTests(nodes));
    describe('SYNC-5 leases', () => leaseTests(nodes));
  });
}

type Nodes = () => [SyncLayer, SyncLayer];

async function stateText(layer: SyncLayer, docKey: string): Promise<string> {
  const attachment = await layer.attach(docKey, new RecordingListener());
  await attachment.detach();
  return textOf(docFrom(attachment.state));
}

function appendTests(nodes: Nodes): void {
  it('SYNC-1: append resolves once stored: a later attach on either node sees the update', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('stored');
    await a.initDocument(docKey);
    await a.append(docKey, new TextWriter().type('hello'));
    assert.equal(await stateText(b, docKey), 'hello');
    assert.equal(await stateText(a, docKey), 'hello');
  });

  it('SYNC-1: concurrent appends resolve in call order and are delivered in call order', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('order');
    await a.initDocument(docKey);
    const listener = new RecordingListener();
    const attachment = await b.attach(docKey, listener);
    const writer = new TextWriter();
    const updates = writer.typeEach('the quick brown fox jumps over the lazy dog '.repeat(3));
    const resolved: number[] = [];
    await Promise.all(updates.map((update, index) => a.append(docKey, update).then(() => resolved.push(index))));
    assert.deepEqual(resolved, updates.map((_, index) => index));
    const expected = idsOnce(updates);
    await eventually(() => listener.updates.flatMap(insertedIds).length >= expected.length, 5000, 'every delivery');
    assert.deepEqual(idsOnce(listener.updates), expected);
    assert.equal(await stateText(b, docKey), writer.text);
    await attachment.detach();
  });

  it('SYNC-1: append to a document that was never initialised, or was deleted, is rejected', async () => {
    const [a, b] = nodes();
    const writer = new TextWriter();
    await assert.rejects(a.append(freshDocKey('never'), writer.type('x')));
    const docKey = freshDocKey('deleted');
    await a.initDocument(docKey);
    await a.append(docKey, writer.type('y'));
    await b.deleteDocument(docKey);
    await assert.rejects(a.append(docKey, writer.type('z')));
    await assert.rejects(b.append(docKey, writer.type('w')));
  });

  it('SYNC-1: initDocument is idempotent and keeps what was appended', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('idempotent');
    await Promise.all([a.initDocument(docKey), b.initDocument(docKey)]);
    await a.append(docKey, new TextWriter().type('kept'));
    await a.initDocument(docKey);
    await b.initDocument(docKey);
    assert.equal(await stateText(a, docKey), 'kept');
  });

  it('SYNC-1: ping resolves on both nodes', async () => {
    const [a, b] = nodes();
    await a.ping();
    await b.ping();
  });
}

function attachTests(nodes: Nodes): void {
  it('SYNC-2: attach returns the state, then every later remote update in order, without gap or duplicate', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('attach');
    await a.initDocument(docKey);
    const writer = new TextWriter();
    for (const update of writer.typeEach('ab')) await a.append(docKey, update);
    const listener = new RecordingListener();
    const attachment = await b.attach(docKey, listener);
    assert.equal(textOf(docFrom(attachment.state)), 'ab');
    for (const update of writer.typeEach('cdef')) await a.append(docKey, update);
    await eventually(() => listener.updates.flatMap(insertedIds).length >= 4, 5000, 'the four later updates');
    assert.deepEqual(idsOnce([attachment.state, ...listener.updates]), idsOnce(writer.updates));
    assert.equal(textOf(docFrom(attachment.state, listener.updates)), 'abcdef');
    await attachment.detach();
  });

  it("SYNC-2: a node never hears its own appends, only the other node's", async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('own');
    await a.initDocument(docKey);
    const [onA, onB] = [new RecordingListener(), new RecordingListener()];
    const attachments = [await a.attach(docKey, onA), await b.attach(docKey, onB)];
    const [writerA, writerB] = [new TextWriter(), new TextWriter()];
    const fromB = writerB.type('B');
    const fromA = writerA.type('A');
    await b.append(docKey, fromB);
    await a.append(docKey, fromA);
    // Each node's own append was stored before the other's, so it would have arrived first.
    await eventually(() => onA.updates.length > 0 && onB.updates.length > 0, 5000, 'cross-node delivery');
    assert.deepEqual(idsOnce(onA.updates), insertedIds(fromB));
    assert.deepEqual(idsOnce(onB.updates), insertedIds(fromA));
    await Promise.all(attachments.map((attachment) => attachment.detach()));
  });

  it('SYNC-2: detach stops delivery to that listener only', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('detach');
    await a.initDocument(docKey);
    const [detached, staying] = [new RecordingListener(), new RecordingListener()];
    const first = await b.attach(docKey, detached);
    const second = await b.attach(docKey, staying);
    const writer = new TextWriter();
    await a.append(docKey, writer.type('1'));
    await eventually(() => detached.updates.length === 1 && staying.updates.length === 1, 5000, 'first update');
    await first.detach();
    await a.append(docKey, writer.type('2'));
    await a.append(docKey, writer.type('3'));
    await eventually(() => staying.updates.flatMap(insertedIds).length === 3, 5000, 'later updates');
    assert.equal(detached.updates.length, 1);
    await second.detach();
  });

  it('SYNC-2: listeners attached on one node at different times each get exactly what follows their own state', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('staggered');
    await a.initDocument(docKey);
    const writer = new TextWriter();
    const attached: Array<{ attachment: SyncAttachment; listener: RecordingListener }> = [];
    for (const chunk of ['ab', 'cd', 'ef']) {
      for (const update of writer.typeEach(chunk)) await a.append(docKey, update);
      const listener = new RecordingListener();
      const attachment = await b.attach(docKey, listener);
      listener.holds(attachment.state);
      attached.push({ attachment, listener });
    }
    for (const update of writer.typeEach('gh')) await a.append(docKey, update);
    for (const { attachment, listener } of attached) await assertExactlyOnce(attachment.state, listener, writer);
    await Promise.all(attached.map(({ attachment }) => attachment.detach()));
  });

  it('SYNC-2: a listener that throws neither fails the append nor starves other listeners', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('throwing');
    await a.initDocument(docKey);
    const throwing: SyncListener = {
      onRemoteUpdate: () => {
        throw new Error('listener failure');
      },
      onRemoteAwareness: () => {
        throw new Error('listener failure');
      },
      onResyncNeeded: () => {
        throw new Error('listener failure');
      },
    };
    const recorder = new RecordingListener();
    const attachments = [await b.attach(docKey, throwing), await b.attach(docKey, recorder)];
    const writer = new TextWriter();
    await a.append(docKey, writer.type('x'));
    await a.append(docKey, writer.type('y'));
    await eventually(() => recorder.updates.flatMap(insertedIds).length === 2, 5000, 'both updates');
    assert.equal(await stateText(a, docKey), 'xy');
    await Promise.all(attachments.map((attachment) => attachment.detach()));
  });
}

/** Asserts that state + deliveries hold each of the writer's ids exactly once, in order. */
async function assertExactlyOnce(state: Uint8Array, listener: RecordingListener, writer: TextWriter): Promise<void> {
  const expected = idsOnce(writer.updates);
  const covered = () => insertedIds(state).length + listener.updates.flatMap(insertedIds).length;
  await eventually(() => covered() >= expected.length, 5000, 'every update after the attach');
  assert.deepEqual(idsOnce([state, ...listener.updates]), expected);
  const merged = docFrom(state, listener.updates);
  assert.equal(textOf(merged), writer.text);
  assert.deepEqual(Y.encodeStateVector(merged), Y.encodeStateVector(writer.doc));
}

function concurrentAttachTests(nodes: Nodes): void {
  it('SYNC-2: updates appended one by one while attach runs are neither lost nor duplicated', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('race-sequential');
    await a.initDocument(docKey);
    const writer = new TextWriter();
    const updates = writer.typeEach('x'.repeat(200));
    const midway = deferred();
    const appending = (async () => {
      for (const [index, update] of updates.entries()) {
        if (index === 50) midway.resolve();
        await a.append(docKey, update);
      }
    })();
    await midway.promise;
    const listener = new RecordingListener();
    const attachment = await b.attach(docKey, listener);
    listener.holds(attachment.state);
    await appending;
    await assertExactlyOnce(attachment.state, listener, writer);
    await attachment.detach();
  });

  it('SYNC-2: a burst of concurrent appends around attach is neither lost nor duplicated', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('race-burst');
    await a.initDocument(docKey);
    const writer = new TextWriter();
    const updates = writer.typeEach('y'.repeat(200));
    const before = updates.slice(0, 100).map((update) => a.append(docKey, update));
    const listener = new RecordingListener();
    const attaching = b.attach(docKey, listener);
    const after = updates.slice(100).map((update) => a.append(docKey, update));
    const attachment = await attaching;
    // The compactor may trim what follows the attach before the listener reads it: it then gets
    // the merged state, less what it holds.
    listener.holds(attachment.state);
    await Promise.all([...before, ...after]);
    await assertExactlyOnce(attachment.state, listener, writer);
    await attachment.detach();
  });
}

function awarenessUpdate(clientId: number, clock: number, state: object): Uint8Array {
  return encodeAwarenessUpdate([{ clientId, clock, state: JSON.stringify(state) }]);
}

function awarenessTests(nodes: Nodes, nodeIds: () => [string, string]): void {
  it('SYNC-3: awareness reaches the other node, never the sender, names the sending node, and is never stored', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('awareness');
    await a.initDocument(docKey);
    const [onA, onB] = [new RecordingListener(), new RecordingListener()];
    const attachments = [await a.attach(docKey, onA), await b.attach(docKey, onB)];
    const fromA = awarenessUpdate(1, 1, { user: 'a' });
    const fromB = awarenessUpdate(2, 1, { user: 'b' });
    await a.publishAwareness(docKey, fromA);
    await eventually(() => onB.awareness.length === 1, 5000, 'awareness on node B');
    await b.publishAwareness(docKey, fromB);
    // A's own message was published before B's, so it would have reached A first.
    await eventually(() => onA.awareness.length > 0, 5000, 'awareness on node A');
    assert.deepEqual(onA.awareness, [fromB]);
    assert.deepEqual(onB.awareness, [fromA]);
    assert.deepEqual([onA.awarenessFrom, onB.awarenessFrom], [[nodeIds()[1]], [nodeIds()[0]]]);
    assert.deepEqual([...onA.updates, ...onB.updates], []);
    const later = await b.attach(docKey, new RecordingListener());
    assert.deepEqual(later.state, emptyState);
    await Promise.all([...attachments, later].map((attachment) => attachment.detach()));
  });

  it('SYNC-3/HOCUS-12: a stateless message reaches the other node on the same channel, never the sender, names the sending node, and is never stored', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('stateless');
    await a.initDocument(docKey);
    const [onA, onB] = [new RecordingListener(), new RecordingListener()];
    const attachments = [await a.attach(docKey, onA), await b.attach(docKey, onB)];
    // Any string, as the provider sends it: JSON with non-ASCII text and a newline.
    const payload = JSON.stringify({ event: 'comment', text: 'héllo\nwörld ✓' });
    await a.publishStateless(docKey, payload);
    await eventually(() => onB.stateless.length === 1, 5000, 'stateless on node B');
    await b.publishStateless(docKey, 'back');
    await eventually(() => onA.stateless.length > 0, 5000, 'stateless on node A');
    assert.deepEqual(onA.stateless, [{ payload: 'back', from: nodeIds()[1] }]);
    assert.deepEqual(onB.stateless, [{ payload, from: nodeIds()[0] }]);
    assert.deepEqual([...onA.updates, ...onB.updates, ...onA.awareness, ...onB.awareness], []);
    const later = await b.attach(docKey, new RecordingListener());
    assert.deepEqual(later.state, emptyState);
    await Promise.all([...attachments, later].map((attachment) => attachment.detach()));
  });
}

function leaseTests(nodes: Nodes): void {
  it('SYNC-5: one node holds a lease at a time; its holder renews it; it passes on once it expired', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('lease');
    assert.equal(await a.holdLease(docKey, 'checkpoint', 300), true);
    assert.equal(await b.holdLease(docKey, 'checkpoint', 300), false);
    assert.equal(await a.holdLease(docKey, 'checkpoint', 300), true, 'the holder renews');
    assert.equal(await b.holdLease(docKey, 'other', 300), true, 'leases of another name are separate');
    assert.equal(await b.holdLease(freshDocKey('lease'), 'checkpoint', 300), true, 'and so are other documents');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await b.holdLease(docKey, 'checkpoint', 300), true, 'expired: the other node takes it');
    assert.equal(await a.holdLease(docKey, 'checkpoint', 300), false);
  });
}

function deleteTests(nodes: Nodes): void {
  it('SYNC-4: endDocument drops the state and tells the listeners of the other node, not its own', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('end');
    await a.initDocument(docKey);
    await a.append(docKey, new TextWriter().type('deleted'));
    const onA = new RecordingListener();
    const onB = new RecordingListener();
    const attachedA = await a.attach(docKey, onA);
    const attachedB = await b.attach(docKey, onB);
    await a.endDocument(docKey);
    await eventually(() => onB.endings === 1, 5000, 'the other node hears of the end');
    assert.equal(onA.endings, 0);
    await assert.rejects(a.append(docKey, new TextWriter().type('late')));
    await Promise.all([attachedA.detach(), attachedB.detach()]);
  });

  it('SYNC-4: deleteDocument drops the state; initialising again gives an empty document', async () => {
    const [a, b] = nodes();
    const docKey = freshDocKey('delete');
    await a.initDocument(docKey);
    await a.append(docKey, new TextWriter().type('gone'));
    await b.deleteDocument(docKey);
    await b.initDocument(docKey);
    const attachment = await a.attach(docKey, new RecordingListener());
    assert.deepEqual(attachment.state, emptyState);
    await attachment.detach();
  });

  it('SYNC-4: documents are isolated: appends, deliveries, state and deletion stay in their document', async () => {
    const [a, b] = nodes();
    const docs = Array.from({ length: 5 }, (_, index) => ({
      docKey: freshDocKey(`isolated-${index}`),
      writer: new TextWriter(),
      listener: new RecordingListener(),
    }));
    await Promise.all(docs.map(({ docKey }) => a.initDocument(docKey)));
    const attachments = await Promise.all(docs.map(({ docKey, listener }) => b.attach(docKey, listener)));
    for (const [index, { docKey, writer }] of docs.entries()) await a.append(docKey, writer.type(`doc ${index}`));
    await eventually(() => docs.every(({ listener }) => listener.updates.length > 0), 5000, 'one delivery per document');
    for (const { writer, listener } of docs) assert.deepEqual(idsOnce(listener.updates), idsOnce(writer.updates));
    await Promise.all(attachments.map((attachment) => attachment.detach()));
    await a.deleteDocument(docs[0].docKey);
    for (const { docKey, writer } of docs.slice(1)) assert.equal(await stateText(b, docKey), writer.text);
  });
}
