/**
 * How fast one ioredis connection can run the sync layer's append script, and what changes with
 * more commands in flight, `enableAutoPipelining`, or explicit pipelines. Standalone (not part of
 * `npm run bench:sync`): `npx tsc -p tsconfig.json && node dist/bench/sync/redisAppendProbe.js`.
 * Needs Redis on 127.0.0.1:6379; uses its own key prefix and deletes its keys at the end.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import * as Y from 'yjs';
// The script itself, not a copy: the probe must measure what the layer really runs. It is
// internal to src/sync (not in its index), which a benchmark of that part may look into.
import { appendScript, initScript } from '../../src/sync/redisScripts.js';
import { pinLoadGenerator } from '../shared/cpuPinning.js';
import { summarizeLatencies } from '../shared/latencyStats.js';
import { ownCpuSeconds } from '../shared/processCpu.js';
import { documentRedisKeyNames, RedisProbe } from '../shared/redisProbe.js';

const redisUrl = 'redis://127.0.0.1:6379';
const docs = 20;
const appendsPerMode = 40_000;
const prefix = `wiresocket-probe-${randomBytes(3).toString('hex')}`;

interface DocKeys {
  state: string;
  stream: string;
  channel: string;
}

type Mode = { name: string; autoPipelining: boolean; run: (client: Redis, keys: DocKeys[], update: Buffer, latencies: number[]) => Promise<void> };

const modes: Mode[] = [
  { name: 'serial: 1 in flight, await each', autoPipelining: false, run: (client, keys, update, latencies) => inFlight(client, keys, update, latencies, 1) },
  { name: '20 in flight (one per document), as the server sends them', autoPipelining: false, run: (client, keys, update, latencies) => inFlight(client, keys, update, latencies, docs) },
  { name: '20 in flight + enableAutoPipelining', autoPipelining: true, run: (client, keys, update, latencies) => inFlight(client, keys, update, latencies, docs) },
  { name: 'explicit pipeline of 20 (one append per document)', autoPipelining: false, run: (client, keys, update, latencies) => pipelined(client, keys, update, latencies, docs) },
  { name: '200 in flight + enableAutoPipelining', autoPipelining: true, run: (client, keys, update, latencies) => inFlight(client, keys, update, latencies, 200) },
];

function keysOf(index: number): DocKeys {
  const [state, stream] = documentRedisKeyNames(`probe::probe::doc-${index}`, prefix);
  return { state, stream, channel: `${state.slice(0, -':state'.length)}:events` };
}

/** EVALSHA arguments after the sha: numkeys, keys, then the script's ARGV. */
function appendArgs(keys: DocKeys, update: Buffer): [number, ...(string | Buffer | number)[]] {
  return [2, keys.state, keys.stream, 86_400, 'probe-node', update, keys.channel, 'PUBLISH'];
}

/**
 * The probe sends `evalsha`, not `callBuffer('EVALSHA', ...)` as src/sync/redisScript.ts
 * does: with `enableAutoPipelining` ioredis 6.0.0 drops the command name of `callBuffer`
 * (redis/ioredis#1923), so the layer's own call fails in that mode (`checkCallBufferBug`).
 */
function evalAppend(client: Redis | ReturnType<Redis['pipeline']>, keys: DocKeys, update: Buffer): unknown {
  return client.evalsha(appendScript.sha, ...appendArgs(keys, update));
}

/** `concurrency` appends always outstanding, each started when one completes (closed loop). */
async function inFlight(client: Redis, keys: DocKeys[], update: Buffer, latencies: number[], concurrency: number): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < appendsPerMode) {
      const index = started++;
      const sentAt = performance.now();
      await evalAppend(client, keys[index % keys.length], update);
      latencies.push(performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Batches of `size` appends in one pipeline (one write, one read burst), one batch at a time. */
async function pipelined(client: Redis, keys: DocKeys[], update: Buffer, latencies: number[], size: number): Promise<void> {
  for (let done = 0; done < appendsPerMode; done += size) {
    const pipeline = client.pipeline();
    for (let index = 0; index < size; index++) evalAppend(pipeline, keys[index % keys.length], update);
    const sentAt = performance.now();
    const replies = await pipeline.exec();
    const failed = replies?.find(([error]) => error);
    if (failed) throw failed[0];
    const latency = performance.now() - sentAt;
    for (let index = 0; index < size; index++) latencies.push(latency);
  }
}

/** A real ~30-byte update, as a writer of the main benchmark sends. */
function sampleUpdate(): Buffer {
  const doc = new Y.Doc();
  let update: Uint8Array = new Uint8Array();
  doc.on('update', (bytes: Uint8Array) => (update = bytes));
  doc.getMap('bench').set('w7:1234', performance.now().toFixed(3));
  return Buffer.from(update);
}

async function runMode(mode: Mode, keys: DocKeys[], update: Buffer, cpu: RedisProbe): Promise<string> {
  const client = new Redis(redisUrl, { enableAutoPipelining: mode.autoPipelining, connectionName: 'wiresocket-probe' });
  // One subscriber on every channel, as another node would be: PUBLISH fan-out is part of the cost.
  const subscriber = new Redis(redisUrl, { connectionName: 'wiresocket-probe-sub' });
  try {
    await subscriber.subscribe(...keys.map((key) => key.channel));
    let received = 0;
    subscriber.on('messageBuffer', () => received++);
    await client.script('LOAD', appendScript.source);
    const latencies: number[] = [];
    const [redisBefore, ownBefore, started] = [await cpu.cpuSeconds(), ownCpuSeconds(), performance.now()];
    await mode.run(client, keys, update, latencies);
    const seconds = (performance.now() - started) / 1000;
    const [redisCpu, ownCpu] = [(await cpu.cpuSeconds()) - redisBefore, ownCpuSeconds() - ownBefore];
    const latency = summarizeLatencies(latencies);
    const perAppend = (value: number) => ((1e6 * value) / appendsPerMode).toFixed(1);
    return `| ${mode.name} | ${(appendsPerMode / seconds).toFixed(0)} | ${latency.p50.toFixed(3)} | ${latency.p99.toFixed(3)} | ${perAppend(redisCpu)} | ${perAppend(ownCpu)} | ${received} |`;
  } finally {
    client.disconnect();
    subscriber.disconnect();
  }
}

/** What the layer's exact call (callBuffer 'EVALSHA') does on an auto-pipelining connection. */
async function checkCallBufferBug(keys: DocKeys): Promise<string> {
  const client = new Redis(redisUrl, { enableAutoPipelining: true, connectionName: 'wiresocket-probe' });
  try {
    await client.script('LOAD', appendScript.source);
    await client.callBuffer('EVALSHA', appendScript.sha, ...appendArgs(keys, sampleUpdate()));
    return 'callBuffer(\'EVALSHA\', ...) with enableAutoPipelining: works';
  } catch (error) {
    return `callBuffer('EVALSHA', ...) with enableAutoPipelining fails: ${(error as Error).message.slice(0, 60)}... (redis/ioredis#1923)`;
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<void> {
  const pinning = pinLoadGenerator();
  const keys = Array.from({ length: docs }, (_, index) => keysOf(index));
  const update = sampleUpdate();
  const admin = new Redis(redisUrl, { connectionName: 'wiresocket-probe-admin' });
  const cpu = new RedisProbe(redisUrl);
  await cpu.connect();
  try {
    for (const key of keys) await initScript.run(admin, [key.state, key.stream], [86_400, Buffer.from([0, 0]), 'probe']);
    const bug = await checkCallBufferBug(keys[0]);
    const rows: string[] = [];
    for (const mode of modes) rows.push(await runMode(mode, keys, update, cpu));
    process.stdout.write(
      [
        `Append script (EVALSHA: HGET, XADD, HSET, 2x HINCRBY, 2x EXPIRE, PUBLISH) of a ${update.byteLength}-byte update over ${docs} documents, ${appendsPerMode} appends per mode, one ioredis connection, one subscriber on every channel. Pinning: ${pinning.kind === 'pinned' ? `probe on core ${pinning.loadCore}, redis-server not pinned` : `none (${pinning.reason})`}.`,
        '',
        '| mode | appends/s | p50 ms | p99 ms | redis CPU µs/append | client CPU µs/append | pub/sub messages |',
        '|---|---|---|---|---|---|---|',
        ...rows,
        '',
        bug,
        '',
      ].join('\n'),
    );
  } finally {
    // No keys may outlive the probe (the streams hold every appended update).
    for (const key of keys) await admin.del(key.state, key.stream);
    admin.disconnect();
    await cpu.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`probe failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
