import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { corkedCommands, TurnCork } from '../../src/sync/turnCork.js';
import { recordSocketWrites, type SocketWriteRecording } from '../helpers/socketWrites.js';
import { redisAnswers } from './redisTestSupport.js';

/** The only place this test reads the environment: in CI a missing Redis is a failure. */
const ci = process.env.CI === 'true';
const redisUp = await redisAnswers();

if (redisUp) describe('TurnCork on a real Redis connection', corkTests);
else if (ci) it('Redis is required in CI (127.0.0.1:6379)', () => assert.fail('no Redis answers at 127.0.0.1:6379'));
else {
  console.warn('\n*** SKIPPED: TurnCork tests (no Redis at 127.0.0.1:6379) ***\n');
  it('TurnCork tests (skipped: no Redis)', { skip: 'no Redis at 127.0.0.1:6379' }, () => undefined);
}

/** Counts the write syscalls on the client's command socket. */
function recordRedisWrites(client: Redis): SocketWriteRecording<'redis'> {
  return recordSocketWrites((socket) => (socket === client.stream ? 'redis' : undefined));
}

function corkTests(): void {
  let client: Redis;

  before(async () => {
    client = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 0 });
    await client.ping();
  });
  after(() => client.quit());

  let recording: SocketWriteRecording<'redis'> | null = null;
  const writes = () => recording?.writesOf('redis');
  afterEach(() => recording?.stop());

  it('PERF-9: sends the commands of one turn in one write, each answered in order', async () => {
    const commands = corkedCommands(client, new TurnCork(() => [client.stream]));
    recording = recordRedisWrites(client);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, index) => commands.callBuffer('ECHO', `message ${index}`)));
    assert.deepEqual(
      replies.map((reply) => String(reply)),
      Array.from({ length: 50 }, (_, index) => `message ${index}`),
    );
    assert.deepEqual(writes(), { syscalls: 1, chunks: 50 });
  });

  it('without it every command is a write of its own (what the cork saves)', async () => {
    recording = recordRedisWrites(client);
    await Promise.all(Array.from({ length: 50 }, (_, index) => client.callBuffer('ECHO', `message ${index}`)));
    assert.equal(writes()?.syscalls, 50);
  });

  it('PERF-9: holds a turn only: the next turn writes again, and a lone command still goes out', async () => {
    const commands = corkedCommands(client, new TurnCork(() => [client.stream]));
    recording = recordRedisWrites(client);
    const first = commands.callBuffer('ECHO', 'first turn');
    await nextTurn();
    assert.equal(writes()?.syscalls, 1, 'the first turn was written when it ended, before any reply');
    const second = commands.callBuffer('ECHO', 'second turn');
    assert.deepEqual([String(await first), String(await second)], ['first turn', 'second turn']);
    assert.equal(writes()?.syscalls, 2);
  });

  it('skips a socket that is gone (a reconnect in between), and corks the one there', async () => {
    const cork = new TurnCork(() => [undefined, client.stream]);
    const commands = corkedCommands(client, cork);
    recording = recordRedisWrites(client);
    const replies = await Promise.all([commands.callBuffer('ECHO', 'one'), commands.callBuffer('ECHO', 'two')]);
    assert.deepEqual(replies.map(String), ['one', 'two']);
    assert.deepEqual(writes(), { syscalls: 1, chunks: 2 });
  });
}
