import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import * as Y from 'yjs';
import { UpdateCoalescer } from '../../src/documents/updateCoalescer.js';
import { textOf, textUpdate } from '../helpers/frames.js';

/** A window that does not adapt: floor and ceiling are the same. */
const fixed = (ms: number) => ({ floorMs: ms, maxMs: ms });

describe('documents: the update coalescer (a mocked clock)', () => {
  /** Every setTimeout the coalescer makes (the mocked one, counted). */
  let timersSet: ReturnType<typeof mock.method>;
  const timersSetCount = () => timersSet.mock.callCount();
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    timersSet = mock.method(globalThis, 'setTimeout');
  });
  afterEach(() => {
    mock.restoreAll();
    mock.timers.reset();
  });

  it('PERF-1: an update to a quiet document goes out at once; what follows within the window goes out merged when it ends, window after window while updates keep coming', () => {
    const sent: Uint8Array[] = [];
    const coalescer = new UpdateCoalescer(fixed(20), (update) => sent.push(update), () => 1, () => Date.now());
    coalescer.add(textUpdate('a', 't', 1));
    assert.equal(sent.length, 1, 'the leading update waits for nothing');
    assert.equal(timersSetCount(), 0, 'and sets no timer');

    coalescer.add(textUpdate('b', 't', 2));
    coalescer.add(textUpdate('c', 't', 3));
    mock.timers.tick(19);
    assert.equal(sent.length, 1, 'the rest waits for the window');
    mock.timers.tick(1);
    assert.equal(sent.length, 2, 'one merged update at the end of the window');
    assert.deepEqual(Y.parseUpdateMeta(sent[1]).to, new Map([[2, 1], [3, 1]]));

    coalescer.add(textUpdate('d', 't', 4));
    assert.equal(sent.length, 2, 'a window follows a window that sent something');
    mock.timers.tick(20);
    assert.equal(sent.length, 3);
    mock.timers.tick(20);
    assert.equal(sent.length, 3, 'an empty window sends nothing and closes');
    assert.equal(timersSetCount(), 2, 'one timer per window that had updates waiting, none for the empty one');

    coalescer.add(textUpdate('e', 't', 5));
    assert.equal(sent.length, 4, 'quiet again: at once');
    assert.equal(timersSetCount(), 2, 'an update that goes out at once sets no timer');
    coalescer.add(textUpdate('f', 't', 6));
    coalescer.flush();
    assert.equal(sent.length, 5, 'flush sends what waits (a session that ends)');
    assert.equal(textOf(sent).length, 6, 'every update was sent exactly once');
  });

  it('PERF-1: the window runs from the last send: an update late in it waits only for the rest', () => {
    const sent: Uint8Array[] = [];
    const coalescer = new UpdateCoalescer(fixed(20), (update) => sent.push(update), () => 1, () => Date.now());
    coalescer.add(textUpdate('a', 't', 1));
    mock.timers.tick(15);
    coalescer.add(textUpdate('b', 't', 2));
    mock.timers.tick(4);
    assert.equal(sent.length, 1, 'still inside the window that the first send opened');
    mock.timers.tick(1);
    assert.equal(sent.length, 2, 'out when that window ends, 5 ms after it arrived');
  });

  it('PERF-5: a busy document\'s window grows with its delivery rate up to --coalesce-max-ms, and drops to the floor at once when it quietens', () => {
    const sent: Uint8Array[] = [];
    let receivers = 100;
    const coalescer = new UpdateCoalescer({ floorMs: 10, maxMs: 25 }, (update) => sent.push(update), () => receivers, () => Date.now());
    let clock = 1;
    /** One update every `everyMs` for `forMs`. */
    const stream = (everyMs: number, forMs: number) => {
      for (let elapsed = 0; elapsed < forMs; elapsed += everyMs) {
        coalescer.add(textUpdate('x', 't', clock++));
        mock.timers.tick(everyMs);
      }
    };
    assert.equal(coalescer.windowMs, 10, 'a new document starts at the floor');
    stream(2, 200); // 500 updates/s x 100 receivers = 50,000 deliveries/s
    assert.equal(coalescer.windowMs, 25, 'a crowd at 50,000 deliveries/s gets the longest window');
    const framesBusy = sent.length;
    assert.ok(framesBusy <= 200 / 25 + 8, `${framesBusy} frames in 200 ms: about one per window`);

    mock.timers.tick(25); // the last busy window ends and sends
    mock.timers.tick(25); // then a whole window of silence
    const before = sent.length;
    coalescer.add(textUpdate('q', 't', clock++));
    assert.equal(sent.length, before + 1, 'after a whole window of silence an update goes out at once');
    assert.equal(coalescer.windowMs, 10, 'and the window is the floor again');

    receivers = 10;
    mock.timers.tick(50);
    stream(50, 1000); // 20 updates/s x 10 receivers = 200 deliveries/s
    assert.equal(coalescer.windowMs, 10, 'a document of 200 deliveries/s keeps the floor');
    assert.equal(textOf(sent).length, clock - 1, 'every update was sent exactly once');
  });

  it('PERF-5: the window grows in proportion between 2,000 and 20,000 deliveries/s', () => {
    const sent: Uint8Array[] = [];
    const coalescer = new UpdateCoalescer({ floorMs: 10, maxMs: 25 }, (update) => sent.push(update), () => 11, () => Date.now());
    let clock = 1;
    // 1,000 updates/s x 11 receivers = 11,000 deliveries/s: halfway between the two rates.
    for (let index = 0; index < 400; index++) {
      coalescer.add(textUpdate('x', 't', clock++));
      mock.timers.tick(1);
    }
    assert.ok(coalescer.windowMs > 15 && coalescer.windowMs < 21, `window ${coalescer.windowMs} ms at 11,000 deliveries/s`);
  });

  it('PERF-1: a window of 0 sends every update at once', () => {
    const sent: Uint8Array[] = [];
    const coalescer = new UpdateCoalescer({ floorMs: 0, maxMs: 25 }, (update) => sent.push(update), () => 1);
    for (let index = 0; index < 3; index++) coalescer.add(textUpdate(`${index}`, 't', 10 + index));
    assert.equal(sent.length, 3);
  });
});
