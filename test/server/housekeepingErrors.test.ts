import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { housekeeping } from '../../src/scheduling/index.js';
import { captureLogger } from '../helpers/captureLogger.js';
import { startTestServer } from '../helpers/testServer.js';

const failing = (kind: string) =>
  housekeeping.enqueue(() => {
    throw new Error(`${kind} broke`);
  }, kind);

const taskLines = (lines: Array<Record<string, unknown>>) => lines.filter((line) => line.msg === 'a housekeeping task failed');

describe('the shared housekeeping queue reports to the server log (PERF-6)', () => {
  it('PERF-6: a failing task is logged once, with its kind, by the newest running server; none after it closed', async () => {
    const first = captureLogger();
    const second = captureLogger();
    const a = await startTestServer({ logger: first.logger });
    const b = await startTestServer({ logger: second.logger });
    try {
      failing('board-flush');
      await housekeeping.idle();
      assert.deepEqual(taskLines(first.lines), [], 'two servers in one process: only one logs it');
      const [line] = taskLines(second.lines);
      assert.equal(taskLines(second.lines).length, 1);
      assert.deepEqual([line.level, line.task, (line.err as { message?: string }).message], [50, 'board-flush', 'board-flush broke']);
      await b.close();
      failing('connects-sweep');
      await housekeeping.idle();
      assert.deepEqual(taskLines(first.lines).map((entry) => entry.task), ['connects-sweep'], 'the remaining server takes over');
      assert.equal(taskLines(second.lines).length, 1, 'a closed server logs nothing more');
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
    }
  });
});
