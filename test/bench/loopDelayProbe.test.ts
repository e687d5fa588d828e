import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { LoopDelayReader, loopProbeFlags, readLoopDelays } from '../../bench/shared/loopDelayReader.js';
import { sleep } from '../../bench/shared/withDeadline.js';

/** A child that keeps its loop alive and, on 'block', holds it for 60 ms. */
const blockingChild = `
setInterval(() => undefined, 1000);
process.on('message', (message) => {
  if (message === 'block') {
    const end = Date.now() + 60;
    while (Date.now() < end);
    process.send('blocked');
  }
});
`;

describe('event-loop delay probe (bench/shared/loopDelayProbe.ts)', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('answers reset and read over IPC and sees a 60 ms stall of a real child after the reset', async () => {
    const child = spawn(process.execPath, [...loopProbeFlags(), '--input-type=module', '-e', blockingChild], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    const reader = new LoopDelayReader(child);
    await reader.reset();
    // A reset histogram records from its timer's next run on (node's RecordDelta has no previous time before it).
    await sleep(20);
    child.send('block');
    await once(child, 'message');
    // Long enough for the probe's timer to run after the stall (its resolution is 5 ms).
    await sleep(50);
    const delay = await reader.read();
    assert.ok(delay.maxMs >= 50, `max ${delay.maxMs} ms after a 60 ms stall`);
    assert.ok(delay.p99Ms <= delay.maxMs, `p99 ${delay.p99Ms} <= max ${delay.maxMs}`);
    assert.deepEqual(await readLoopDelays([reader, reader]), { maxMs: (await reader.read()).maxMs, p99Ms: (await reader.read()).p99Ms });
  });

  it('reads nothing without probes', async () => {
    assert.equal(await readLoopDelays([]), null);
  });
});
