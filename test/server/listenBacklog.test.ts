import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { listenBacklog } from '../../src/server/wiresocketServer.js';
import { startTestServer } from '../helpers/testServer.js';

const run = promisify(execFile);

/** The queue length the kernel gives a listening TCP port, from `ss` (its Send-Q column), or null without `ss`. */
async function listenQueueOf(port: number): Promise<number | null> {
  let stdout: string;
  try {
    ({ stdout } = await run('ss', ['-Hltn', `sport = :${port}`]));
  } catch {
    return null;
  }
  const columns = stdout.trim().split(/\s+/);
  return Number(columns[2]);
}

describe('the listen queue', () => {
  it('PERF-8: the server listens with a queue of 4096 connects (capped by net.core.somaxconn), not node\'s 511', async (t) => {
    const server = await startTestServer();
    try {
      const queue = await listenQueueOf(server.server.port);
      if (queue === null) return t.skip('`ss` (iproute2) is not installed: the kernel\'s queue length cannot be read');
      const somaxconn = Number((await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim());
      assert.equal(queue, Math.min(listenBacklog, somaxconn));
      assert.ok(queue > 511, `a queue of ${queue}`);
    } finally {
      await server.close();
    }
  });
});
