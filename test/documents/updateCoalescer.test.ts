import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import * as Y from 'yjs';
import { UpdateCoalescer } from '../../src/documents/updateCoalescer.js';
import { textOf, textUpdate } from '../helpers/frames.js';

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
    const coalescer = new UpdateCoalescer(20, (update) => sent.push(update), () => Date.now());
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
    const coalescer = new UpdateCoalescer(20, (update) => sent.push(update), () => Date.now());
    coalescer.add(textUpdate('a', 't', 1));
    mock.timers.tick(15);
    coalescer.add(textUpdate('b', 't', 2));
    mock.timers.tick(4);
    assert.equal(sent.length, 1, 'still inside the window that the first send opened');
    mock.timers.tick(1);
    assert.equal(sent.length, 2, 'out when that window ends, 5 ms after it arrived');
  });

  it('PERF-1: a window of 0 sends every update at once', () => {
    const sent: Uint8Array[] = [];
    const coalescer = new UpdateCoalescer(0, (update) => sent.push(update));
    for (let index = 0; index < 3; index++) coalescer.add(textUpdate(`${index}`, 't', 10 + index));
    assert.equal(sent.length, 3);
  });
});
