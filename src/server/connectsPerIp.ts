import type { Clock } from '../clock.js';
import { housekeeping, repeatJittered, type HousekeepingQueue } from '../scheduling/index.js';

const windowMs = 60_000;
/** Windows looked at per housekeeping task: a connect storm's 100,000 addresses are 100 tasks. */
const sweepSliceSize = 1_000;

interface Window {
  startedAt: number;
  count: number;
}

export interface ConnectsPerIpOptions {
  /** Where the sweep's slices wait for their turn; the process's queue by default. */
  queue?: HousekeepingQueue;
  /** For the sweep's jitter; tests pass a fixed one. */
  random?: () => number;
}

/**
 * New connections per client IP per minute (a fixed window per IP): a connect storm from one
 * address is refused at the upgrade with HTTP 429 before any token is verified or store read.
 * Windows that ended are swept about once a minute, so addresses seen once cost nothing
 * afterwards.
 *
 * The sweep is housekeeping (issue 14): it comes 45-60 s after the last one (nodes started
 * together do not sweep in step), and walks the map `sweepSliceSize` windows per task of the
 * housekeeping queue, so a storm from many addresses is not swept in one turn. A sweep still
 * walking when the next is due makes that one skip.
 */
export class ConnectsPerIp {
  private readonly windows = new Map<string, Window>();
  private readonly stopSweeps: (() => void) | null;
  private readonly queue: HousekeepingQueue;
  private sweeping = false;
  private stopped = false;

  /** `limit` 0 turns the check off (loopback benchmarks open thousands of sockets a minute). */
  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    options: ConnectsPerIpOptions = {},
  ) {
    this.queue = options.queue ?? housekeeping;
    this.stopSweeps = limit > 0 ? repeatJittered({ clock, intervalMs: windowMs, random: options.random }, () => this.sweep()) : null;
  }

  /** Counts a connect from `ip`; false when it is over the limit. */
  admit(ip: string): boolean {
    if (this.limit === 0) return true;
    const now = this.clock.now();
    let window = this.windows.get(ip);
    if (window === undefined || now - window.startedAt >= windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(ip, window);
    }
    window.count++;
    return window.count <= this.limit;
  }

  /** Seconds until `ip` may connect again (for Retry-After). */
  retryAfterSeconds(ip: string): number {
    const window = this.windows.get(ip);
    if (window === undefined) return 0;
    return Math.max(1, Math.ceil((window.startedAt + windowMs - this.clock.now()) / 1000));
  }

  /** Addresses with a window kept (ended ones until the sweep reaches them). */
  get size(): number {
    return this.windows.size;
  }

  stop(): void {
    this.stopped = true;
    this.stopSweeps?.();
    this.windows.clear();
  }

  private sweep(): void {
    if (this.sweeping) return;
    this.sweeping = true;
    this.sweepSliceLater(this.windows.entries());
  }

  private sweepSliceLater(cursor: IterableIterator<[string, Window]>): void {
    this.queue.enqueue(() => this.sweepSlice(cursor), 'connects-sweep');
  }

  /** A Map's iterator tolerates the deletions, and a window `admit` renews is seen renewed. */
  private sweepSlice(cursor: IterableIterator<[string, Window]>): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (let left = sweepSliceSize; left > 0; left--) {
      const next = cursor.next();
      if (next.done) {
        this.sweeping = false;
        return;
      }
      const [ip, window] = next.value;
      if (now - window.startedAt >= windowMs) this.windows.delete(ip);
    }
    this.sweepSliceLater(cursor);
  }
}
