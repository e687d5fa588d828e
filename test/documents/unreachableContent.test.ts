import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { SyncListener } from '../../src/sync/syncLayer.js';
import { captureLogger } from '../helpers/captureLogger.js';
import { ControllableSyncLayer } from '../helpers/controllableSyncLayer.js';
import { syncFrame, textOf, updateFrame } from '../helpers/frames.js';
import { RawClient, type ServerFrame } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { ascendingClients, relaidUpdate } from '../helpers/updateLayout.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

const isUpdate = (frame: ServerFrame) => frame.type === 0 && frame.subType === 2;
const isStep1 = (frame: ServerFrame) => frame.type === 0 && frame.subType === 0;

/** A writer whose updates are recorded one by one, as a stock client sends them. */
function writer(clientId: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return { doc, updates };
}

/** An update that builds on a clock of `clientId` nobody sent (its first clock is 1, not 0). */
function gappedUpdate(clientId: number): Uint8Array {
  const { doc, updates } = writer(clientId);
  doc.getText('t').insert(0, 'a');
  doc.getText('t').insert(1, 'b');
  return updates[1];
}

function hasPending(state: Uint8Array): boolean {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

describe('documents: content that builds on what the document lacks (LIM-28)', () => {
  let server: TestServer;
  let sync: ControllableSyncLayer;
  const logs = captureLogger();
  before(async () => {
    server = await startTestServer({
      logger: logs.logger,
      // The flood below is 300 messages at once: the per-connection rate limit is not under test.
      config: { maxMessagesPerSecond: 100_000, messageBurst: 100_000 },
      wrapSyncLayer: (layer) => (sync = new ControllableSyncLayer(layer)),
    });
  });
  after(async () => server.close());

  const open = async (doc: string) => {
    const raw = RawClient.connect(server.url, doc, ['Bearer', await server.token()]);
    await raw.opened;
    return raw;
  };
  /** What the sync layer holds for the document, read as a new node would. */
  const storedState = (doc: string): Uint8Array => {
    const probe: SyncListener = { onRemoteUpdate() {}, onResyncNeeded() {}, onRemoteAwareness() {} };
    const state = server.hub.attach(server.key(doc), probe, 'probe');
    server.hub.detach(server.key(doc), probe);
    return state;
  };

  it('LIM-28: gapped updates are neither stored nor relayed, leave nothing pending, and the client is asked once for its state', async () => {
    const peer = await open('gaps');
    const attacker = await open('gaps');
    attacker.send(syncFrame(1, new Uint8Array([0, 0]))); // answers the server's step 1
    const appendsBefore = sync.calls.filter((call) => call.startsWith('append')).length;
    for (let i = 0; i < 300; i++) attacker.send(updateFrame(gappedUpdate(70_000 + i)));
    attacker.send(updateFrame(writerText(90_001, 'valid')));
    await attacker.waitForFrame(isUpdate);
    await peer.waitForFrame(isUpdate);
    assert.equal(sync.calls.filter((call) => call.startsWith('append')).length - appendsBefore, 1, 'only the valid update reached the sync layer');
    assert.equal(textOf(peer.frames.filter(isUpdate).map((frame) => frame.payload!)), 'valid');
    // One step 1 at attach, one asking for the state after the first refusal: not one per update.
    assert.equal(attacker.frames.filter(isStep1).length, 2);
    const session = server.server.documents.getSession(server.key('gaps'))!;
    assert.equal(hasPending(session.encodeState()), false);
    assert.equal(hasPending(storedState('gaps')), false);
    assert.equal(logs.lines.filter((line) => String(line.msg).startsWith('refused update content')).length, 1, 'logged once per connection');
    assert.equal(await attacker.outcome(100), 'open', 'refused content is not an error: the client may have raced');
    peer.close();
    attacker.close();
  });

  it('LIM-28: an update checked while the one it builds on is still in its append is stored (no false gap)', async () => {
    const peer = await open('in-flight');
    const client = await open('in-flight');
    const { doc, updates } = writer(4242);
    doc.getText('t').insert(0, 'first ');
    doc.getText('t').insert(6, 'second');
    sync.hold();
    const appends = () => sync.calls.filter((call) => call === `append ${server.key('in-flight')}`).length;
    try {
      client.send(updateFrame(updates[0]));
      client.send(updateFrame(updates[1]));
      await eventually(() => appends() === 2, 5000, 'both appends under way');
    } finally {
      sync.release();
    }
    await eventually(() => textOf(peer.frames.filter(isUpdate).map((frame) => frame.payload!)) === 'first second', 5000, 'both relayed');
    assert.equal(textOf([storedState('in-flight')]), 'first second');
    assert.equal(client.frames.filter(isStep1).length, 1, 'no refusal, so no new step 1');
    peer.close();
    client.close();
  });

  it('LIM-28: a stock client that edits before its offline edits are uploaded loses nothing', async () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'offline ');
    const token = await server.token();
    const { provider } = connectClient(server.url, 'offline', { token, connect: false, doc });
    // The first keystroke after the socket opens goes out before the client's step 2 (which
    // answers the server's step 1), so it builds on clocks the server has not seen yet.
    provider.on('status', ({ status }: { status: string }) => {
      if (status === 'connected' && doc.getText('t').length === 8) doc.getText('t').insert(8, 'typed');
    });
    provider.connect();
    await waitForSync(provider);
    const reader = connectClient(server.url, 'offline', { token });
    await waitForSync(reader.provider);
    await eventually(() => reader.doc.getText('t').toString() === 'offline typed', 5000, 'the reader sees both');
    assert.equal(textOf([storedState('offline')]), 'offline typed');
    assert.equal(hasPending(storedState('offline')), false);
    destroyAll([provider, reader.provider]);
  });

  it('LIM-28: of a step 2 with a gap, what integrates is stored and relayed; the client is not asked again', async () => {
    const peer = await open('mixed');
    const client = await open('mixed');
    const standalone = writerText(3001, 'kept');
    const mixed = Y.mergeUpdates([standalone, gappedUpdate(3002)]);
    client.send(syncFrame(1, mixed));
    await peer.waitForFrame(isUpdate);
    assert.equal(textOf(peer.frames.filter(isUpdate).map((frame) => frame.payload!)), 'kept');
    assert.equal(textOf([storedState('mixed')]), 'kept');
    assert.equal(hasPending(storedState('mixed')), false);
    assert.equal(await client.outcome(100), 'open');
    assert.equal(client.frames.filter(isStep1).length, 1);
    peer.close();
    client.close();
  });

  it('LIM-29: an update laid out in ascending client order is stored in Yjs order, so merging cannot garble it', async () => {
    const peer = await open('layout');
    const client = await open('layout');
    const a = writer(100);
    a.doc.getText('t').insert(0, 'aaa');
    const b = writer(200);
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc));
    b.doc.getText('t').insert(3, 'bbb');
    const c = writer(150);
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(b.doc));
    c.doc.getText('t').insert(0, 'c');
    const opener = writerText(999, 'z');
    const laidOut = relaidUpdate(Y.encodeStateAsUpdate(b.doc), ascendingClients);
    const onTop = c.updates.at(-1)!;
    const expected = new Y.Doc();
    for (const update of [opener, laidOut, onTop]) Y.applyUpdate(expected, update);
    // One frame: the first update opens a coalescing window, the other two are merged in it.
    client.send(concat(updateFrame(opener), updateFrame(laidOut), updateFrame(onTop)));
    const seen = () => textOf(peer.frames.filter(isUpdate).map((frame) => frame.payload!));
    await eventually(() => seen().length === 8, 5000, 'the peer hears all three');
    assert.equal(seen(), expected.getText('t').toString());
    assert.equal(textOf([storedState('layout')]), expected.getText('t').toString());
    peer.close();
    client.close();
  });

  it('LIM-28: none of the updates above left content pending in a session (the server checks after each apply)', () => {
    assert.deepEqual(logs.lines.filter((line) => String(line.msg).includes('left content pending')), []);
  });
});

/** An update inserting `text` at the start of `t`, written by `clientId`. */
function writerText(clientId: number, text: string): Uint8Array {
  const { doc } = writer(clientId);
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

function concat(...frames: Uint8Array[]): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const frame of frames) encoding.writeUint8Array(encoder, frame);
  return encoding.toUint8Array(encoder);
}
