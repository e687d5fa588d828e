/**
 * Proxied against direct, across two regions on loopback (issue 15, closing figures): update
 * delivery p50/p99 for 1 KiB and 64 KiB updates and connect-to-synced, with no delay and with
 * 40 ms each way between the regions; CPU and memory per proxied socket on the edge; and the
 * connect-to-synced of point 8 with 0 and 50 ms in front of the routing store. Bounded: one run
 * takes about a minute and is killed after two.
 *
 *   npm run bench:regions
 *
 * Topology: region b's node `b1` owns the documents (it is the first to open them); region a's
 * node `a1` is the edge. Each region has its own redis-server; both share one libSQL routing file.
 * `b1` advertises itself through a link whose delay the run sets, so the edge reaches it over
 * the link. "Direct" is a client of region a dialling `b1` over that same link; "proxied" is the
 * same client dialling its own region's node, which pipes the socket over the link. The reader
 * of every update sits on `b1` directly.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { freePort } from '../../test/cli/cliProcess.js';
import { step1Frame } from '../../test/helpers/frames.js';
import { startRegionProcesses, type RegionProcesses } from '../../test/helpers/regionProcesses.js';
import { openSlowControlStores } from '../../test/helpers/slowControlStores.js';
import { startTestServer } from '../../test/helpers/testServer.js';
import { connectClient, destroyAll, waitForSync } from '../../test/helpers/yjsClient.js';
import { armHardLimit, runBenchmark } from '../shared/childProcesses.js';
import { summarizeLatencies } from '../shared/latencyStats.js';
import { processCpuSeconds } from '../shared/processCpu.js';
import { startDelayLink, type DelayLink } from './delayLink.js';

const linkDelays = [0, 40] as const;
const updateRuns = [
  { bytes: 1024, count: 300, intervalMs: 6 },
  { bytes: 64 * 1024, count: 100, intervalMs: 20 },
] as const;
const connectSamples = 15;
const proxiedSockets = 200;
const fanOutSeconds = 4;
const fanOutRate = 40;

runBenchmark(async () => {
  armHardLimit(120_000);
  const started = performance.now();
  const ownerPort = await freePort();
  const link = await startDelayLink(ownerPort);
  const regions = await startRegionProcesses({
    layout: { b1: 'b', a1: 'a' },
    argsOf: { b1: ['--port', String(ownerPort), '--advertise-url', link.url], a1: ['--max-connects-per-ip-per-minute', '0'] },
    logLevel: 'warn',
  });
  const lines: string[] = ['# wiresocket regions: proxied vs direct', ''];
  try {
    lines.push('| link delay | path | update | p50 ms | p99 ms | n |', '|---|---|---|---|---|---|');
    const connects: string[] = ['| link delay | path | connect-to-synced p50 ms | p99 ms | n |', '|---|---|---|---|---|'];
    for (const delayMs of linkDelays) {
      link.delayMs = delayMs;
      for (const run of updateRuns) {
        for (const path of ['direct', 'proxied'] as const) {
          const writerUrl = path === 'direct' ? link.url : regions.node('a1').node.url;
          const summary = summarizeLatencies(await deliveryLatencies(regions, writerUrl, run));
          lines.push(`| ${delayMs} ms | ${path} | ${run.bytes / 1024} KiB | ${summary.p50.toFixed(2)} | ${summary.p99.toFixed(2)} | ${summary.count} |`);
        }
      }
      for (const path of ['direct', 'proxied', 'lookup + direct'] as const) {
        const summary = summarizeLatencies(await connectTimes(regions, link, path));
        connects.push(`| ${delayMs} ms | ${path} | ${summary.p50.toFixed(2)} | ${summary.p99.toFixed(2)} | ${summary.count} |`);
      }
    }
    link.delayMs = 0;
    lines.push('', ...connects, '', ...(await edgeCost(regions)), '', ...(await storeDelayConnects()));
    lines.push('', `one run, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await regions.close();
    await link.close();
  }
});

/** One writer (`writerUrl`) sets a map key `count` times; the reader on the owner stamps each arrival. */
async function deliveryLatencies(regions: RegionProcesses, writerUrl: string, run: (typeof updateRuns)[number]): Promise<number[]> {
  const name = `delivery-${run.bytes}-${Math.random().toString(36).slice(2)}`;
  const reader = connectClient(regions.node('b1').node.url, name, { token: regions.token });
  await waitForSync(reader.provider, 10_000);
  const writer = connectClient(writerUrl, name, { token: regions.token });
  await waitForSync(writer.provider, 10_000);
  const sentAt: number[] = [];
  const latencies: number[] = [];
  // One key per update: the server may merge updates that arrive together into one broadcast.
  reader.doc.getMap<string>('m').observe((event) => {
    const now = performance.now();
    for (const key of event.keysChanged) latencies.push(now - sentAt[Number(key)]);
  });
  const filler = 'x'.repeat(run.bytes);
  for (let index = 0; index < run.count; index++) {
    sentAt[index] = performance.now();
    writer.doc.getMap<string>('m').set(String(index), filler);
    await sleep(run.intervalMs);
  }
  await until(() => latencies.length === run.count, 10_000);
  destroyAll([reader.provider, writer.provider]);
  return latencies;
}

/** A document already live on the owner; each sample a fresh stock client, from `new` to synced. */
async function connectTimes(regions: RegionProcesses, link: DelayLink, path: 'direct' | 'proxied' | 'lookup + direct'): Promise<number[]> {
  const name = `connect-${Math.random().toString(36).slice(2)}`;
  const owner = connectClient(regions.node('b1').node.url, name, { token: regions.token });
  await waitForSync(owner.provider, 10_000);
  const edgeHttp = regions.node('a1').node.url.replace('ws:', 'http:');
  const times: number[] = [];
  for (let sample = 0; sample < connectSamples; sample++) {
    const start = performance.now();
    let url = path === 'direct' ? link.url : regions.node('a1').node.url;
    if (path === 'lookup + direct') {
      const answer = (await (await fetch(`${edgeHttp}/v1/route/${name}`, { headers: { authorization: `Bearer ${regions.token}` } })).json()) as { url: string };
      url = answer.url;
    }
    const client = connectClient(url, name, { token: regions.token });
    await waitForSync(client.provider, 10_000);
    times.push(performance.now() - start);
    destroyAll([client.provider]);
  }
  destroyAll([owner.provider]);
  return times;
}

/** RSS and CPU of the edge process for `proxiedSockets` synced sockets it pipes, and for their fan-out. */
async function edgeCost(regions: RegionProcesses): Promise<string[]> {
  const edge = regions.node('a1').node;
  const name = `fan-out-${Math.random().toString(36).slice(2)}`;
  const writer = connectClient(regions.node('b1').node.url, name, { token: regions.token });
  await waitForSync(writer.provider, 10_000);
  await sleep(1_000);
  const rssBefore = rssOf(edge.pid);
  let received = 0;
  const sockets = await Promise.all(Array.from({ length: proxiedSockets }, () => syncedRawSocket(edge.url, name, regions.token, () => received++)));
  await sleep(2_000);
  const rssAfter = rssOf(edge.pid);
  const cpuBefore = processCpuSeconds(edge.pid);
  const receivedBefore = received;
  const filler = 'y'.repeat(1024);
  const updates = fanOutRate * fanOutSeconds;
  for (let index = 0; index < updates; index++) {
    writer.doc.getMap<string>('m').set(String(index), filler);
    await sleep(1_000 / fanOutRate);
  }
  await until(() => received - receivedBefore >= updates * proxiedSockets, 10_000).catch(() => undefined);
  const cpu = processCpuSeconds(edge.pid) - cpuBefore;
  const delivered = received - receivedBefore;
  for (const socket of sockets) socket.terminate();
  destroyAll([writer.provider]);
  return [
    `edge node, ${proxiedSockets} proxied synced sockets of one document:`,
    `- RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MiB: ${((rssAfter - rssBefore) / proxiedSockets / 1024).toFixed(1)} KiB per proxied socket`,
    `- fan-out of ${updates} updates of 1 KiB (${fanOutRate}/s for ${fanOutSeconds} s) to every socket: ${delivered} frames delivered, edge CPU ${(cpu * 1000).toFixed(0)} ms = ${((cpu * 1e6) / Math.max(1, delivered)).toFixed(1)} us per proxied frame, ${((cpu * 1000) / fanOutSeconds / proxiedSockets).toFixed(3)} ms CPU per socket per second`,
  ];
}

/** A bare socket with the stock subprotocols that sent its step 1 and got the owner's step 2; counts later frames. */
function syncedRawSocket(url: string, name: string, token: string, onFrame: () => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}/${name}`, ['Bearer', token]);
    let synced = false;
    socket.once('open', () => socket.send(step1Frame()));
    socket.on('message', (data: Buffer) => {
      if (synced) return onFrame();
      // The owner's step 2 is message type 0, sync sub-type 1.
      if (data[0] === 0 && data[1] === 1) {
        synced = true;
        resolve(socket);
      }
    });
    socket.once('close', (code) => synced || reject(new Error(`closed ${code} before it synced`)));
    socket.on('error', () => undefined);
  });
}

/** Point 8: connect-to-synced with 0 and 50 ms in front of the routing store (in-process node, libSQL behind a delay). */
async function storeDelayConnects(): Promise<string[]> {
  const lines = ['| routing store delay | document | connect-to-synced p50 ms | p99 ms | n |', '|---|---|---|---|---|'];
  for (const delayMs of [0, 50]) {
    const server = await startTestServer({
      config: { maxConnectsPerIpPerMinute: 0 },
      openControlStores: (url) => openSlowControlStores({ url, delayMs }),
    });
    try {
      const token = await server.token();
      const times = { live: [] as number[], new: [] as number[] };
      const owner = connectClient(server.url, 'live-doc', { token });
      await waitForSync(owner.provider, 10_000);
      for (let sample = 0; sample < 10; sample++) {
        for (const kind of ['live', 'new'] as const) {
          const start = performance.now();
          const client = connectClient(server.url, kind === 'live' ? 'live-doc' : `new-${sample}`, { token });
          await waitForSync(client.provider, 10_000);
          times[kind].push(performance.now() - start);
          destroyAll([client.provider]);
        }
      }
      destroyAll([owner.provider]);
      for (const kind of ['live', 'new'] as const) {
        const summary = summarizeLatencies(times[kind]);
        lines.push(`| ${delayMs} ms | ${kind === 'live' ? 'live on the node' : 'first connect'} | ${summary.p50.toFixed(2)} | ${summary.p99.toFixed(2)} | ${summary.count} |`);
      }
    } finally {
      await server.close();
    }
  }
  return lines;
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(5);
  }
}
