import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResyncTask, resyncRetryDelayMs } from '../../src/documents/resyncTask.js';
import { ManualClock } from '../helpers/manualClock.js';

/** A task whose runs the test settles by hand, so overlap and coalescing are visible. */
function harness(canRun = () => true) {
  const clock = new ManualClock();
  const runs: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const failures: number[] = [];
  const successes: number[] = [];
  const task = new ResyncTask({
    clock,
    run: () => new Promise<void>((resolve, reject) => runs.push({ resolve, reject })),
    canRun,
    onFailure: (_error, attempt) => failures.push(attempt),
    onSuccess: (failed) => successes.push(failed),
  });
  return { clock, runs, failures, successes, task };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('documents: the resync task', () => {
  it('CLUSTER-6: runs one at a time; any number of requests during a run coalesce into one more', async () => {
    const { runs, task } = harness();
    task.request();
    task.request();
    task.request();
    assert.equal(runs.length, 1);
    runs[0].resolve();
    await settle();
    assert.equal(runs.length, 2, 'one more run for the requests that came during the first');
    runs[1].resolve();
    await settle();
    assert.equal(runs.length, 2);
  });

  it('CLUSTER-6: a failed run is retried with backoff until one succeeds', async () => {
    const { clock, runs, failures, successes, task } = harness();
    task.request();
    runs[0].reject(new Error('redis away'));
    await settle();
    assert.deepEqual(failures, [1]);
    clock.advance(resyncRetryDelayMs(1) - 1);
    assert.equal(runs.length, 1, 'not before the backoff');
    task.request();
    assert.equal(runs.length, 1, 'a request while a retry is scheduled waits for it');
    clock.advance(1);
    assert.equal(runs.length, 2);
    runs[1].reject(new Error('still away'));
    await settle();
    clock.advance(resyncRetryDelayMs(2));
    runs[2].resolve();
    await settle();
    assert.deepEqual(failures, [1, 2]);
    assert.deepEqual(successes, [2]);
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual([1, 2, 3, 6, 7, 20].map(resyncRetryDelayMs), [250, 500, 1000, 5000, 5000, 5000]);
  });

  it('CLUSTER-6: while nobody is served a request waits, and runs once someone is', async () => {
    let served = false;
    const { runs, task } = harness(() => served);
    task.request();
    task.request();
    assert.equal(runs.length, 0);
    task.resume();
    assert.equal(runs.length, 0, 'still nobody');
    served = true;
    task.resume();
    assert.equal(runs.length, 1);
    task.resume();
    assert.equal(runs.length, 1, 'resume runs a waiting request once');
  });

  it('CLUSTER-6: stop cancels a scheduled retry and refuses later requests', async () => {
    const { clock, runs, task } = harness();
    task.request();
    runs[0].reject(new Error('away'));
    await settle();
    task.stop();
    assert.equal(clock.pendingTimers, 0);
    clock.advance(60_000);
    task.request();
    assert.equal(runs.length, 1);
  });
});
