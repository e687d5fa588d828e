import type { Clock, TimerHandle } from '../lifecycle/index.js';

const windowMs = 60_000;

interface Window {
  startedAt: number;
  count: number;
}

/**
 * New connections per client IP per minute (a fixed window per IP): a connect storm from one
 * address is refused at the upgrade with HTTP 429 before any token is verified or store read.
 * Windows that ended are swept once a minute, so addresses seen once cost nothing afterwards.
 */
export class ConnectsPerIp {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: TimerHandle | null;

  /** `limit` 0 turns the check off (loopback benchmarks open thousands of sockets a minute). */
  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
  ) {
    this.sweeper = limit > 0 ? clock.setInterval(() => this.sweep(), windowMs) : null;
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

  stop(): void {
    if (this.sweeper !== null) this.clock.clearInterval(this.sweeper);
    this.windows.clear();
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [ip, window] of this.windows) if (now - window.startedAt >= windowMs) this.windows.delete(ip);
  }
}
