import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import * as Y from 'yjs';
import { WorkerCompactionMerger } from '../../src/sync/compactionMerger.js';
import { integrateUpdates } from '../../src/sync/integrateUpdates.js';
import { withTimeout } from '../helpers/yjsClient.js';
import { docFrom, TextWriter, textOf } from './syncFixtures.js';

describe('compaction merges', () => {
  it('CLUSTER-8: integrating a log joins adjacent edits: 20,000 typed characters compact to about their own size', () => {
    const updates = new TextWriter().typeEach('x'.repeat(20_000));
    const integrated = integrateUpdates(updates);
    assert.equal(textOf(docFrom(integrated)), 'x'.repeat(20_000));
    assert.ok(integrated.byteLength < 20_100, `${integrated.byteLength} B`);
    assert.ok(Y.mergeUpdates(updates).byteLength > 5 * integrated.byteLength, 'Y.mergeUpdates keeps one struct per edit');
  });

  it('CLUSTER-8: content whose dependencies are missing stays in the integrated state (pending), nothing is dropped', () => {
    const writer = new TextWriter();
    const [first, second, third] = writer.typeEach('abc');
    const integrated = integrateUpdates([first, third]);
    assert.equal(textOf(docFrom(integrated)), 'a');
    assert.equal(textOf(docFrom(integrated, [second])), 'abc', 'once the missing update arrives the pending one applies');
  });

  it('CLUSTER-8: large merges run on the worker and give what the calling thread would; a crashed worker is replaced', async () => {
    const merger = new WorkerCompactionMerger();
    try {
      const writer = new TextWriter();
      const updates = writer.typeEach('0123456789'.repeat(3_000));
      const onWorker = await merger.merge(updates);
      assert.deepEqual(onWorker, integrateUpdates(updates));
      const worker = (merger as unknown as { worker: Worker | null }).worker;
      assert.ok(worker, 'the large merge went to a worker');
      await worker.terminate();
      assert.equal(textOf(docFrom(await merger.merge(updates))), writer.text, 'a new worker after the old one died');
    } finally {
      await merger.close();
    }
    await assert.rejects(merger.merge([new Uint8Array([0, 0])]), /closed/);
  });

  it('PERF-6: 10 large merges asked at once go to the worker 2 at a time, in order, each with its own result', async () => {
    const merger = new WorkerCompactionMerger();
    try {
      const writers = Array.from({ length: 10 }, (_, index) => new TextWriter(index + 1));
      const logs = writers.map((writer, index) => writer.typeEach(`${index}`.repeat(2_000)));
      const settled: number[] = [];
      const merges = logs.map((updates, index) => merger.merge(updates).then((merged) => (settled.push(index), merged)));
      assert.deepEqual(merger.backlog, { inFlight: 2, waiting: 8 });
      const results = await Promise.all(merges);
      assert.deepEqual(settled, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const [index, merged] of results.entries()) assert.equal(textOf(docFrom(merged)), writers[index].text);
      assert.deepEqual(merger.backlog, { inFlight: 0, waiting: 0 });
    } finally {
      await merger.close();
    }
  });

  it('PERF-6: closing fails the merges still waiting for the worker', async () => {
    const merger = new WorkerCompactionMerger();
    const updates = new TextWriter().typeEach('x'.repeat(3_000));
    const outcomes = Promise.allSettled(Array.from({ length: 4 }, () => merger.merge(updates)));
    assert.deepEqual(merger.backlog, { inFlight: 2, waiting: 2 });
    await merger.close();
    assert.deepEqual((await outcomes).map((outcome) => outcome.status), ['rejected', 'rejected', 'rejected', 'rejected']);
  });

  it('CLUSTER-8: a worker idle for its idle time is stopped (its heap leaves the process); the next merge starts another', async () => {
    const merger = new WorkerCompactionMerger(200);
    const workerOf = () => (merger as unknown as { worker: Worker | null }).worker;
    try {
      const writer = new TextWriter();
      const updates = writer.typeEach('0123456789'.repeat(3_000));
      await merger.merge(updates);
      const first = workerOf();
      assert.ok(first, 'the large merge went to a worker');
      const exited = new Promise<number>((resolve) => first.once('exit', resolve));
      await withTimeout(exited, 5_000, 'the idle worker to exit');
      assert.equal(workerOf(), null);
      assert.equal(textOf(docFrom(await merger.merge(updates))), writer.text);
      assert.ok(workerOf() && workerOf() !== first, 'a new worker for the next merge');
    } finally {
      await merger.close();
    }
  });

  it('CLUSTER-8: a worker kept busy is not stopped in the middle of merges', async () => {
    const merger = new WorkerCompactionMerger(300);
    const workerOf = () => (merger as unknown as { worker: Worker | null }).worker;
    try {
      const updates = new TextWriter().typeEach('0123456789'.repeat(3_000));
      await merger.merge(updates);
      const first = workerOf();
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await merger.merge(updates);
      }
      assert.equal(workerOf(), first, 'merges 100 ms apart keep the same worker');
    } finally {
      await merger.close();
    }
  });
});
