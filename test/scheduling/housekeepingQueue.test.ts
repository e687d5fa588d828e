import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HousekeepingQueue, jitteredDelay } from '../../src/scheduling/index.js';
import { SteppedQueue } from '../helpers/steppedQueue.js';

describe('PERF-6: the housekeeping queue', () => {
  it('never runs a task inline: enqueue only schedules a turn', () => {
    const stepped = new SteppedQueue();
    let ran = 0;
    stepped.queue.enqueue(() => ran++, 'test');
    stepped.queue.enqueue(() => ran++, 'test');
    assert.equal(ran, 0);
    assert.equal(stepped.pendingTurns, 1, 'one turn for both');
    stepped.runTurn();
    assert.equal(ran, 2);
    assert.equal(stepped.pendingTurns, 0, 'empty: no further turn');
  });

  it('respects the budget per turn (at least one task each), runs in FIFO order, and loses none', () => {
    const stepped = new SteppedQueue(3);
    const order: number[] = [];
    for (let index = 0; index < 10; index++) {
      stepped.queue.enqueue(() => {
        order.push(index);
        stepped.spend(index === 4 ? 10 : 1); // task 4 alone overruns the budget
      }, 'test');
    }
    const perTurn: number[] = [];
    while (stepped.pendingTurns > 0) {
      const before = order.length;
      stepped.runTurn();
      perTurn.push(order.length - before);
    }
    assert.deepEqual(perTurn, [3, 2, 3, 2], 'stops once 3 ms have passed; an overrunning task ends its turn');
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(stepped.queue.size, 0);
  });

  it('a task that throws is reported and the others still run', () => {
    const stepped = new SteppedQueue();
    const ran: string[] = [];
    stepped.queue.enqueue(() => ran.push('a'), 'test');
    stepped.queue.enqueue(() => {
      throw new Error('boom');
    }, 'exploding');
    stepped.queue.enqueue(() => ran.push('c'), 'test');
    stepped.runAll();
    assert.deepEqual(ran, ['a', 'c']);
    assert.equal(stepped.errors.length, 1);
    assert.match(String(stepped.errors[0]), /boom/);
    assert.deepEqual(stepped.errorKinds, ['exploding'], 'with the kind its owner named');
  });

  it('a failure goes to the newest attached reporter only (told once), then back to the one before when it detaches', () => {
    const stepped = new SteppedQueue();
    const told: string[] = [];
    const fail = (kind: string) =>
      stepped.queue.enqueue(() => {
        throw new Error(kind);
      }, kind);
    const detachFirst = stepped.queue.reportErrorsTo((_error, kind) => told.push(`first:${kind}`));
    const detachSecond = stepped.queue.reportErrorsTo((_error, kind) => told.push(`second:${kind}`));
    fail('a');
    stepped.runAll();
    detachSecond();
    fail('b');
    stepped.runAll();
    detachFirst();
    fail('c');
    stepped.runAll();
    assert.deepEqual(told, ['second:a', 'first:b']);
    assert.deepEqual(stepped.errorKinds, ['c'], 'none attached: the constructor\'s onError');
  });

  it('a reporter that throws does not end the turn', () => {
    const stepped = new SteppedQueue();
    let ran = 0;
    stepped.queue.reportErrorsTo(() => {
      throw new Error('broken reporter');
    });
    stepped.queue.enqueue(() => {
      throw new Error('boom');
    }, 'exploding');
    stepped.queue.enqueue(() => ran++, 'test');
    assert.equal(stepped.runAll(), 1);
    assert.equal(ran, 1);
  });

  it('tasks enqueued by a task run after those already queued (FIFO), not in the same slot', () => {
    const stepped = new SteppedQueue(100);
    const order: string[] = [];
    stepped.queue.enqueue(() => {
      order.push('first');
      stepped.queue.enqueue(() => order.push('child'), 'test');
    }, 'test');
    stepped.queue.enqueue(() => order.push('second'), 'test');
    stepped.runAll();
    assert.deepEqual(order, ['first', 'second', 'child']);
  });

  it('stop() drops what is queued (documented), refuses new tasks and settles idle()', async () => {
    const stepped = new SteppedQueue();
    let ran = 0;
    for (let index = 0; index < 5; index++) stepped.queue.enqueue(() => ran++, 'test');
    const idle = stepped.queue.idle();
    assert.equal(stepped.queue.stop(), 5);
    await idle;
    stepped.queue.enqueue(() => ran++, 'test');
    stepped.runAll();
    assert.equal(ran, 0);
    assert.equal(stepped.queue.size, 0);
  });

  it('idle() resolves once the queue has emptied (the real setImmediate and clock)', async () => {
    const queue = new HousekeepingQueue({ budgetMs: 1 });
    let ran = 0;
    for (let index = 0; index < 2000; index++) queue.enqueue(() => ran++, 'test');
    await queue.idle();
    assert.equal(ran, 2000);
    assert.ok(queue.turns >= 1);
    await queue.idle();
  });

  it('refuses a budget that is not positive', () => {
    assert.throws(() => new HousekeepingQueue({ budgetMs: 0 }), /budgetMs/);
  });

  it('jitteredDelay stays within (1 - spread) .. 1 of the delay', () => {
    assert.equal(jitteredDelay(1000, 0.25, () => 0), 1000);
    assert.equal(jitteredDelay(1000, 0.25, () => 0.5), 875);
    assert.ok(jitteredDelay(1000, 0.25, () => 0.9999) > 750);
  });
});
