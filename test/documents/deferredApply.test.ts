import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import * as Y from 'yjs';
import { DeferredApply, deferredApplyDelayMs } from '../../src/documents/deferredApply.js';
import { step1Frame, textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

const isUpdate = (frame: { type: number; subType: number | null }) => frame.type === 0 && frame.subType === 2;

describe('documents: deferred apply (a mocked clock)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  function recording(): { deferred: DeferredApply; batches: Uint8Array[][] } {
    const batches: Uint8Array[][] = [];
    return { deferred: new DeferredApply((updates) => batches.push([...updates])), batches };
  }

  it('PERF-2: updates wait and are applied as one batch, in order, after the delay', () => {
    const { deferred, batches } = recording();
    const updates = [textUpdate('a', 't', 1), textUpdate('b', 't', 2), textUpdate('c', 't', 3)];
    deferred.add(updates[0], new Map([[1, 1]]));
    deferred.add(updates[1], new Map([[2, 1]]));
    deferred.add(updates[2], new Map([[1, 3]]));
    assert.equal(batches.length, 0, 'nothing applied yet');
    assert.equal(deferred.clockOf(1), 3, 'what the batch reaches is known before it is applied');
    assert.equal(deferred.clockOf(2), 1);
    assert.equal(deferred.clockOf(3), 0);
    mock.timers.tick(deferredApplyDelayMs - 1);
    assert.equal(batches.length, 0);
    mock.timers.tick(1);
    assert.equal(batches.length, 1, 'one batch');
    assert.deepEqual(batches[0], updates, 'in arrival order');
    assert.equal(textOf(batches[0]).length, 3);
    assert.equal(deferred.clockOf(1), 0, 'applied: the document itself now says');
    mock.timers.tick(deferredApplyDelayMs * 3);
    assert.equal(batches.length, 1, 'no timer left behind');
  });

  it('PERF-2: flush applies at once (a read of the document), and a batch that grows past its bound goes at once', () => {
    const { deferred, batches } = recording();
    deferred.flush();
    assert.equal(batches.length, 0, 'an empty flush applies nothing');
    deferred.add(textUpdate('a', 't', 1), new Map([[1, 1]]));
    deferred.flush();
    assert.equal(batches.length, 1);
    for (let index = 0; index < 64; index++) deferred.add(textUpdate('x', 't', 10 + index), new Map([[10 + index, 1]]));
    assert.equal(batches.length, 2, 'the 64th update applies the batch');
    assert.equal(batches[1].length, 64);
    mock.timers.tick(deferredApplyDelayMs);
    assert.equal(batches.length, 2);
  });

  it('PERF-2: discard drops the batch (a session that ends)', () => {
    const { deferred, batches } = recording();
    deferred.add(textUpdate('a', 't', 1), new Map([[1, 1]]));
    deferred.discard();
    mock.timers.tick(deferredApplyDelayMs);
    assert.equal(batches.length, 0);
    assert.equal(deferred.clockOf(1), 0);
  });
});

describe('documents: deferred apply in a session (real sockets)', () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it('PERF-4: edits that build on each other are all relayed, and a client joining before they are applied gets them all', async () => {
    const token = await server.token();
    const [writer, reader] = [RawClient.connect(server.url, 'deferred', ['Bearer', token]), RawClient.connect(server.url, 'deferred', ['Bearer', token])];
    clients.push(writer, reader);
    await Promise.all(clients.map((client) => client.opened));
    const editor = new Y.Doc();
    editor.on('update', (update: Uint8Array) => writer.send(updateFrame(update)));
    // Each keystroke continues the last one: its check must count the deferred ones' clocks.
    for (const char of 'deferred') editor.getText('t').insert(editor.getText('t').length, char);
    const relayed = () => textOf(reader.frames.filter(isUpdate).map((frame) => frame.payload!));
    await reader.waitForFrame(() => relayed() === 'deferred', 5000);
    const joiner = RawClient.connect(server.url, 'deferred', ['Bearer', token]);
    clients.push(joiner);
    await joiner.opened;
    joiner.send(step1Frame());
    const stepTwo = await joiner.waitForFrame((frame) => frame.type === 0 && frame.subType === 1, 5000);
    assert.equal(textOf([stepTwo.payload!]), 'deferred', 'well within the 1 s a batch may wait');
  });
});
