import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { processRssBytes } from '../shared/processCpu.js';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { cpuDelta, sampleCpu, type CpuSample } from '../shared/windowCpu.js';
import { metricValue, metricsUrlOf, scrapeMetrics, secondsAsMs } from './metricsScrape.js';
import type { SoakLoad } from './soakLoad.js';
import type { SoakMeter } from './soakMeter.js';

/** One sample (every minute); per-interval figures cover the minute before it. */
export interface SoakRow {
  minute: number;
  /** null once the server process is gone. */
  rssBytes: number | null;
  /**
   * Lowest and highest RSS of the minute (read every second): the heap's GC sawtooth moves RSS by
   * ~100 MiB at this load, so the sample alone may sit on a peak or in a trough; a leak lifts the low.
   */
  rssLowBytes: number | null;
  rssHighBytes: number | null;
  /** The server's `nodejs_eventloop_lag_p99_seconds` since the previous scrape; null: no /metrics. */
  eventLoopP99Ms: number | null;
  /** Where RSS goes: the JS heap (used, and held from the OS) and memory outside it (Buffers). */
  heapUsedBytes: number | null;
  heapTotalBytes: number | null;
  externalBytes: number | null;
  /** The server's own count of open sockets (`wiresocket_open_sockets`), when it has one. */
  serverSockets: number | null;
  /** Its document sessions (`wiresocket_document_sessions`): 200 all along, unless sessions leak. */
  serverSessions: number | null;
  /** Sockets open on the generator's side. */
  connections: number;
  /** Since the start of the load. */
  updatesSent: number;
  deliveries: number;
  deliveriesPerSecond: number;
  deliveryP99Ms: number;
  deliveryMaxMs: number;
  /** Awareness frames that reached the generator's sockets, per second. */
  awarenessPerSecond: number;
  churned: number;
  serverCpuPercent: number;
  loadCpuPercent: number;
  /** Busy CPU of the machine used by neither (other engineers, other jobs). */
  otherCpuPercent: number;
  /** The generator's own event-loop p99: when it lags, so do the latencies it stamps. */
  loadLoopP99Ms: number;
}

/** How often RSS is read between samples (for the minute's low and high). */
const rssEveryMs = 1_000;

/**
 * Takes the soak's samples. prom-client resets its event-loop histogram at every scrape, so
 * the soak scrapes exactly once per sample (plus once at the start, to drop the setup): each
 * p99 covers one interval. Nothing else may scrape the server during a run.
 */
export class SoakSampler {
  private readonly metricsUrl: string;
  /** Same resolution as prom-client's default (10 ms), so both loops read alike. */
  private readonly ownLoop = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu: CpuSample | null = null;
  private lastAt = 0;
  private metricsNote: string | null = null;
  private rssTimer: NodeJS.Timeout | undefined;
  private rssLow = Infinity;
  private rssHigh = -Infinity;

  constructor(
    private readonly server: RunningServer,
    private readonly load: SoakLoad,
    private readonly meter: SoakMeter,
  ) {
    this.metricsUrl = metricsUrlOf(server.writerUrl);
  }

  /** Why the event-loop column is empty (the first failed scrape), or null when it is not. */
  get metricsUnavailable(): string | null {
    return this.metricsNote;
  }

  /** Starts the first interval: the setup's figures are dropped. */
  async begin(): Promise<void> {
    await scrapeMetrics(this.metricsUrl);
    this.ownLoop.enable();
    this.ownLoop.reset();
    this.meter.rotate();
    this.lastCpu = sampleCpu(this.server.pids, null);
    this.lastAt = performance.now();
    this.rssTimer = setInterval(() => this.noteRss(), rssEveryMs).unref();
  }

  end(): void {
    clearInterval(this.rssTimer);
    this.ownLoop.disable();
  }

  async sample(minute: number): Promise<SoakRow> {
    const now = performance.now();
    const seconds = (now - this.lastAt) / 1000;
    // A crashed server has no /proc entry to read: its interval shows no CPU.
    const cpu = serverRunning(this.server) ? sampleCpu(this.server.pids, null) : null;
    const arrivals = this.meter.rotate();
    const loadLoopP99Ms = this.ownLoop.percentile(99) / 1e6;
    this.ownLoop.reset();
    const rssBytes = this.noteRss();
    const [rssLowBytes, rssHighBytes] = Number.isFinite(this.rssLow) ? [this.rssLow, this.rssHigh] : [null, null];
    this.rssLow = Infinity;
    this.rssHigh = -Infinity;
    const scrape = await scrapeMetrics(this.metricsUrl);
    if (scrape.kind === 'unavailable') this.metricsNote ??= `${this.metricsUrl}: ${scrape.reason}`;
    const used = this.lastCpu && cpu ? await cpuDelta([this.lastCpu, cpu]) : { machine: 0, server: 0, load: 0 };
    this.lastCpu = cpu;
    this.lastAt = now;
    return {
      minute,
      rssBytes,
      rssLowBytes,
      rssHighBytes,
      eventLoopP99Ms: secondsAsMs(scrape, 'nodejs_eventloop_lag_p99_seconds'),
      heapUsedBytes: metricValue(scrape, 'nodejs_heap_size_used_bytes'),
      heapTotalBytes: metricValue(scrape, 'nodejs_heap_size_total_bytes'),
      externalBytes: metricValue(scrape, 'nodejs_external_memory_bytes'),
      serverSockets: metricValue(scrape, 'wiresocket_open_sockets'),
      serverSessions: metricValue(scrape, 'wiresocket_document_sessions'),
      connections: this.load.openConnections,
      updatesSent: this.load.updatesSent,
      deliveries: this.meter.totalDeliveries,
      deliveriesPerSecond: arrivals.deliveries / seconds,
      deliveryP99Ms: arrivals.latency.p99,
      deliveryMaxMs: arrivals.latency.max,
      awarenessPerSecond: arrivals.awarenessFrames / seconds,
      churned: this.load.churned,
      serverCpuPercent: (100 * used.server) / seconds,
      loadCpuPercent: (100 * used.load) / seconds,
      otherCpuPercent: Math.max(0, (100 * (used.machine - used.server - used.load)) / seconds),
      loadLoopP99Ms,
    };
  }

  private noteRss(): number | null {
    const rss = serverRss(this.server);
    if (rss !== null) {
      this.rssLow = Math.min(this.rssLow, rss);
      this.rssHigh = Math.max(this.rssHigh, rss);
    }
    return rss;
  }
}

/** Whether the server process still runs (signal 0 only asks). */
export function serverRunning(server: RunningServer): boolean {
  try {
    for (const pid of server.pids) process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function serverRss(server: RunningServer): number | null {
  try {
    return server.pids.reduce((total, pid) => total + processRssBytes(pid), 0);
  } catch {
    return null;
  }
}
