import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import { repeatJittered } from '../scheduling/index.js';

/** What the sampler reads at each tick: the server's own gauges and running totals (ServerMetrics). */
export interface SampleSource {
  openSockets(): number;
  /** Client updates stored by this node since it started. */
  updatesTotal(): number;
  /** Limit hits since it started (every limit together). */
  limitHitsTotal(): number;
}

/** One point of the dashboard's charts. */
export interface MetricsSample {
  /** ms since the epoch, by the server's clock. */
  at: number;
  connections: number;
  updatesPerSecond: number;
  /** p99 of the event-loop delay since the previous sample, ms. */
  eventLoopDelayMs: number;
  /** Limit hits since the previous sample. */
  limitHits: number;
}

export interface MetricsSamplerOptions {
  clock: Clock;
  source: SampleSource;
  /** Longest wait between samples; each wait is 75-100 % of it (repeatJittered). */
  intervalMs: number;
  /** Samples kept (the ring's size): the charts show the last `capacity` of them. */
  capacity: number;
  random?: () => number;
}

/**
 * The server's figures over the last minutes, sampled by the server itself on a jittered timer
 * (a fixed interval beats in step with every other timer started with it), into a ring buffer of
 * fixed size: memory does not grow with uptime. Rates use the time that really passed between
 * two samples, so the jitter does not skew them.
 */
export class MetricsSampler {
  private readonly ring: (MetricsSample | undefined)[];
  private next = 0;
  private stopTimer: (() => void) | null = null;
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private previous: { at: number; updates: number; limitHits: number } | null = null;

  constructor(private readonly options: MetricsSamplerOptions) {
    if (!Number.isSafeInteger(options.capacity) || options.capacity < 1) throw new Error(`the sample ring needs a capacity >= 1, got ${options.capacity}`);
    this.ring = new Array<MetricsSample | undefined>(options.capacity);
  }

  start(): void {
    if (this.stopTimer) return;
    this.delay.enable();
    this.previous = this.read();
    const { clock, intervalMs, random } = this.options;
    this.stopTimer = repeatJittered({ clock, intervalMs, ...(random ? { random } : {}) }, () => this.sample());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    this.delay.disable();
  }

  /** The kept samples, oldest first. */
  samples(): MetricsSample[] {
    const ordered = [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.filter((sample): sample is MetricsSample => sample !== undefined);
  }

  /** One tick (public for tests that drive it without a timer). */
  sample(): void {
    const now = this.read();
    const before = this.previous ?? now;
    const seconds = Math.max(now.at - before.at, 1) / 1000;
    const p99 = this.delay.count > 0 ? this.delay.percentile(99) / 1e6 : 0;
    this.delay.reset();
    this.push({
      at: now.at,
      connections: this.options.source.openSockets(),
      updatesPerSecond: round((now.updates - before.updates) / seconds),
      eventLoopDelayMs: round(p99),
      limitHits: now.limitHits - before.limitHits,
    });
    this.previous = now;
  }

  private read(): { at: number; updates: number; limitHits: number } {
    const { clock, source } = this.options;
    return { at: clock.now(), updates: source.updatesTotal(), limitHits: source.limitHitsTotal() };
  }

  private push(sample: MetricsSample): void {
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.ring.length;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
