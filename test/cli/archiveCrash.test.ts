import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startRedisInstance } from '../helpers/redisInstance.js';
import { adminClient, redisServerInstalled } from '../sync/redisTestSupport.js';
import { textOfState } from '../helpers/documentHttp.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { jwtPattern, startServe, useTempDataDir } from './cliProcess.js';

const ci = process.env.CI === 'true';
const installed = await redisServerInstalled();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ARCH-8: kill -9 of the only node and a flushed Redis: the document comes back from its last checkpoint', { skip: installed || ci ? false : 'redis-server is not installed' }, () => {
  let dir = '';
  useTempDataDir((made) => {
    dir = made;
  });

  it('ARCH-8: it loses at most one --archive-interval-ms of edits', async () => {
    const intervalMs = 300;
    const redis = await startRedisInstance();
    try {
      const args = [
        '--data-dir', dir,
        '--redis-url', redis.url,
        '--node-id', 'crash-node',
        '--archive-url', `file:${path.join(dir, 'archive.db')}`,
        '--archive-interval-ms', String(intervalMs),
      ];
      const first = await startServe(args);
      const token = first.banner.find((line) => jwtPattern.test(line))!;
      const writer = connectClient(first.url, 'crash-doc', { token, connect: true });
      await waitForSync(writer.provider);
      // An edit every 20 ms, each stamped with when it was made.
      const madeAt: number[] = [];
      const started = Date.now();
      while (Date.now() - started < 4 * intervalMs) {
        writer.doc.getText('t').insert(writer.doc.getText('t').length, `${madeAt.length};`);
        madeAt.push(Date.now());
        await sleep(20);
      }
      // Every edit is in the sync layer before the crash (the API reads it back), then the kill comes at once.
      const expected = writer.doc.getText('t').toString();
      await eventually(async () => textOfState(new Uint8Array(await (await fetch(`${first.url.replace(/^ws/, 'http')}/v1/documents/crash-doc`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer())) === expected, 5000, 'the edits to be stored');
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      await first.exited;
      destroyAll([writer.provider]);
      const admin = adminClient(redis.port);
      await admin.flushall();
      admin.disconnect();

      const second = await startServe(args);
      const reader = connectClient(second.url, 'crash-doc', { token });
      await waitForSync(reader.provider);
      await eventually(() => reader.doc.getText('t').length > 0, 5000, 'the document to come back');
      assert.ok(second.lines.some((line) => line.includes('document restored from the archive')), 'restored from the archive, not from Redis');
      const kept = reader.doc.getText('t').toString().split(';').filter((part) => part !== '').map(Number);
      destroyAll([reader.provider]);
      await second.stop();
      // A prefix of the edits survives: the last checkpoint.
      assert.deepEqual(kept, madeAt.slice(0, kept.length).map((_, index) => index));
      const lost = madeAt.length - kept.length;
      const lostSinceMs = lost === 0 ? 0 : killedAt - madeAt[kept.length];
      console.log(`ARCH-8: ${madeAt.length} edits, ${kept.length} kept, ${lost} lost (made in the last ${lostSinceMs} ms before the kill; interval ${intervalMs} ms)`);
      // The newest edits made before the last completed checkpoint tick are kept: at most one
      // interval (plus the queue's turn and the write's own time) is lost.
      assert.ok(kept.length > 0, 'the checkpoints kept something');
      assert.ok(lostSinceMs <= intervalMs + 100 + 150, `lost the edits of the last ${lostSinceMs} ms`);
    } finally {
      await redis.dispose();
    }
  });
});
