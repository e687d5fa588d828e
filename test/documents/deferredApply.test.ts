import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import { DeferredApply, deferredApplyDelayMs } from '../../src/documents/deferredApply.js';
import { ManualClock } from '../helpers/manualClock.js';
import { SteppedQueue } from '../helpers/steppedQueue.js';
import { step1Frame, textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

const isUpdate = (frame: { type: number; subType: number | null }) => frame.type === 0 && frame.subType === 2;

describe('documents: deferred apply (a manual clock, a stepped housekeeping queue)', () => {
  function recording(random = 0): { deferred: DeferredApply; batches: Uint8Array[][]; clock: ManualClock; stepped: SteppedQueue } {
    const batches: Uint8Array[][] = [];
    const clock = new ManualClock();
    const stepped = new SteppedQueue();
    const deferred = new DeferredApply((updates) => batches.push([...updates]), { clock, queue: stepped.queue, random: () => random });
    return { deferred, batches, clock, stepped };
  }

  it('PERF-2: updates wait and are applied as one batch, in order, after the delay (on the queue\'s next turn)', () => {
    const { deferred, batches, clock, stepped } = recording();
    const updates = [textUpdate('a', 't', 1), textUpdate('b', 't', 2), textUpdate('c', 't', 3)];
    deferred.add(updates[0], new Map([[1, 1]]));
    deferred.add(updates[1], new Map([[2, 1]]));
    deferred.add(updates[2], new Map([[1, 3]]));
    assert.equal(batches.length, 0, 'nothing applied yet');
    assert.equal(deferred.clockOf(1), 3, 'what the batch reaches is known before it is applied');
    assert.equal(deferred.clockOf(2), 1);
    assert.equal(deferred.clockOf(3), 0);
    clock.advance(deferredApplyDelayMs - 1);
    stepped.runAll();
    assert.equal(batches.length, 0);
    clock.advance(1);
    assert.equal(batches.length, 0, 'due: queued, not applied inside the timer');
    stepped.runAll();
    assert.equal(batches.length, 1, 'one batch');
    assert.deepEqual(batches[0], updates, 'in arrival order');
    assert.equal(textOf(batches[0]).length, 3);
    assert.equal(deferred.clockOf(1), 0, 'applied: the document itself now says');
    clock.advance(deferredApplyDelayMs * 3);
    stepped.runAll();
    assert.equal(batches.length, 1, 'no timer left behind');
    assert.equal(clock.pendingTimers, 0);
  });

  it('PERF-2: the delay is jittered within 75-100 % of the bound, never past it', () => {
    for (const random of [0, 0.5, 0.999]) {
      const { deferred, batches, clock, stepped } = recording(random);
      deferred.add(textUpdate('a', 't', 1), new Map([[1, 1]]));
      const dueIn = clock.nextDueAt! - clock.now();
      assert.ok(dueIn <= deferredApplyDelayMs && dueIn > deferredApplyDelayMs * 0.75, `due in ${dueIn} ms`);
      clock.advance(dueIn);
      stepped.runAll();
      assert.equal(batches.length, 1);
    }
  });

  it('PERF-2: flush applies at once (a read of the document), and a batch that grows past its bound goes at once', () => {
    const { deferred, batches, clock, stepped } = recording();
    deferred.flush();
    assert.equal(batches.length, 0, 'an empty flush applies nothing');
    deferred.add(textUpdate('a', 't', 1), new Map([[1, 1]]));
    deferred.flush();
    assert.equal(batches.length, 1);
    for (let index = 0; index < 64; index++) deferred.add(textUpdate('x', 't', 10 + index), new Map([[10 + index, 1]]));
    assert.equal(batches.length, 2, 'the 64th update applies the batch');
    assert.equal(batches[1].length, 64);
    clock.advance(deferredApplyDelayMs);
    stepped.runAll();
    assert.equal(batches.length, 2);
  });

  it('PERF-2: a read between the timer and the queued flush applies the batch once, and the queued flush finds nothing', () => {
    const { deferred, batches, clock, stepped } = recording();
    deferred.add(textUpdate('a', 't', 1), new Map([[1, 1]]));
    clock.advance(deferredApplyDelayMs);
    deferred.flush();
    assert.equal(batches.length, 1);
    deferred.add(textUpdate('b', 't', 2), new Map([[2, 1]]));
    assert.equal(clock.pendingTimers, 0, 'a flush is queued already: no second timer');
    stepped.runAll();
    assert.equal(batches.length, 2, 'the queued flush takes what came after the read');
  });

  it('PERF-2: discard drops the batch (a session that ends)', () => {
    const { deferred, batches, clock, stepped } = recording();
    deferred.add(textUpdate('a', 't', 1), new Map([[1, 1]]));
    deferred.discard();
    clock.advance(deferredApplyDelayMs);
    stepped.runAll();
    assert.equal(batches.length, 0);
    assert.equal(deferred.clockOf(1), 0);
  });

  it('PERF-6: 1,000 sessions whose batches are due at once are applied over many turns, in order, none lost', () => {
    const clock = new ManualClock();
    const stepped = new SteppedQueue(3);
    const applied: number[] = [];
    const sessions = Array.from({ length: 1000 }, (_, index) =>
      new DeferredApply(() => {
        applied.push(index);
        stepped.spend(1); // each apply "takes" 1 ms of the 3 ms budget
      }, { clock, queue: stepped.queue, random: () => 0 }),
    );
    sessions.forEach((deferred, index) => deferred.add(textUpdate('a', 't', index + 1), new Map([[index + 1, 1]])));
    clock.advance(deferredApplyDelayMs);
    assert.equal(applied.length, 0, 'nothing applied inside the timers');
    stepped.runTurn();
    assert.equal(applied.length, 3, 'the first turn stops at its 3 ms budget');
    const turns = 1 + stepped.runAll();
    assert.equal(applied.length, 1000, 'every batch applied');
    assert.deepEqual(applied, sessions.map((_, index) => index), 'in the order they came due');
    assert.ok(turns >= 334, `spread over ${turns} turns`);
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
