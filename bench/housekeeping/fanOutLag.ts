/**
 * Issue 14's fan-out load, small: `docs` documents x `readers` readers, 2 writers per document
 * at `rate` updates/s each, for `seconds`. Prints the server's `nodejs_eventloop_lag_max_seconds`
 * per 5 s scrape (prom-client resets it at each scrape) and send-to-delivery percentiles seen
 * by one reader per document. Run: node dist/bench/housekeeping/fanOutLag.js [docs readers rate seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { BenchWriter, writerClientId } from '../shared/benchWriter.js';
import { metricsUrlOf, scrapeMetrics } from '../soak/metricsScrape.js';
import { startServeNode } from '../shared/serveProcess.js';
import { YjsWireClient } from '../shared/yjsWireClient.js';

const [docs = 100, readers = 10, rate = 10, seconds = 40] = process.argv.slice(2).map(Number);
const writersPerDoc = 2;
const warmUpSeconds = 10;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wiresocket-fanout-'));
  const server = await startServeNode({ dataDir, graceMs: 10_000, commandPrefix: [], env: { WIRESOCKET_MAX_CONNECTS_PER_IP_PER_MINUTE: '0' } });
  const sockets: YjsWireClient[] = [];
  try {
    const token = server.token;
    const writers: BenchWriter[] = [];
    const byClient = new Map<number, BenchWriter>();
    const latencies: number[] = [];
    let measuring = false;
    for (let doc = 0; doc < docs; doc++) {
      const docName = `fanout-${doc}`;
      for (let reader = 0; reader < readers; reader++) {
        const timed = reader === 0;
        const onUpdate = (update: Uint8Array, receivedAt: number) => {
          if (!timed || !measuring) return;
          for (const struct of Y.decodeUpdate(update).structs) {
            const writer = byClient.get(struct.id.client);
            if (!writer) continue;
            for (let seq = struct.id.clock; seq < struct.id.clock + struct.length; seq++) latencies.push(receivedAt - writer.sentAtOf(seq));
          }
        };
        sockets.push(await YjsWireClient.connect({ serverUrl: server.url, docName, token, onUpdate }));
      }
      for (let k = 0; k < writersPerDoc; k++) {
        const writer = new BenchWriter(doc * writersPerDoc + k);
        byClient.set(writerClientId(writer.writer), writer);
        const socket = await YjsWireClient.connect({ serverUrl: server.url, docName, token, answerStep1: (sv) => writer.missingFor(sv), onUpdate: () => undefined });
        writer.attach(socket);
        sockets.push(socket);
        writers.push(writer);
      }
    }
    console.log(`connected ${sockets.length} sockets on ${docs} documents; writing ${rate}/s per writer for ${seconds} s`);
    // Writers spread over the period, as independent clients would be.
    const periodMs = 1000 / rate;
    const timers = writers.map((writer, index) =>
      setTimeout(() => {
        const interval = setInterval(() => writer.sendNext(), periodMs);
        timers.push(interval);
      }, (index / writers.length) * periodMs),
    );
    const metricsUrl = metricsUrlOf(server.url);
    await scrapeMetrics(metricsUrl);
    const lags: number[] = [];
    const started = performance.now();
    for (let elapsed = 0; elapsed < seconds; elapsed += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      if (elapsed + 5 >= warmUpSeconds) measuring = true;
      const scrape = await scrapeMetrics(metricsUrl);
      const lag = scrape.kind === 'scraped' ? (scrape.values.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000 : NaN;
      lags.push(lag);
      console.log(`t=${Math.round((performance.now() - started) / 1000)}s lag_max=${lag.toFixed(1)} ms`);
    }
    for (const timer of timers) clearInterval(timer);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]?.toFixed(1);
    const afterWarmUp = lags.slice(Math.ceil(warmUpSeconds / 5) - 1);
    console.log(`event-loop max delay after warm-up: ${Math.max(...afterWarmUp).toFixed(1)} ms (per-scrape: ${afterWarmUp.map((lag) => lag.toFixed(0)).join(' ')})`);
    console.log(`delivery (${latencies.length} samples after warm-up): p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  } finally {
    for (const socket of sockets) socket.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
