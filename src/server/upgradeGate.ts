import type { IncomingMessage } from 'node:http';
import type { ServeConfig } from '../config.js';
import type { Clock } from '../lifecycle/index.js';
import { ConnectsPerIp } from './connectsPerIp.js';
import type { LimitName } from './serverMetrics.js';

/** Why an upgrade is refused with a plain HTTP answer, before any token or store is touched. */
export interface UpgradeRefusal {
  status: number;
  message: string;
  limit: LimitName;
  headers?: Record<string, string>;
}

type GateConfig = Pick<ServeConfig, 'maxUrlBytes' | 'allowedOrigins' | 'maxConnectsPerIpPerMinute'>;

/**
 * The checks every upgrade passes first, cheapest first: the URL's length (before it is
 * decoded), the browser's Origin (cross-site WebSocket hijacking), and the per-IP connect rate.
 * A request without an Origin header is not a browser's and is let through: only browsers send
 * a victim's cookies along, and anything else could forge the header anyway.
 */
export class UpgradeGate {
  private readonly origins: ReadonlySet<string> | null;
  private readonly connects: ConnectsPerIp;

  constructor(
    private readonly config: GateConfig,
    clock: Clock,
  ) {
    this.origins = config.allowedOrigins.length > 0 ? new Set(config.allowedOrigins.map((origin) => origin.toLowerCase())) : null;
    this.connects = new ConnectsPerIp(config.maxConnectsPerIpPerMinute, clock);
  }

  /**
   * `proxied`: the request carries a hop header. Every client an edge proxies arrives from the
   * edge's address, so the per-IP rate would throttle a whole region; the edge applied it to the
   * client already, and a forged hop is refused right after the token check, before any store work.
   */
  refusal(request: IncomingMessage, proxied = false): UpgradeRefusal | null {
    if ((request.url ?? '').length > this.config.maxUrlBytes) {
      return { status: 414, message: `the URL is longer than ${this.config.maxUrlBytes} bytes`, limit: 'url-too-long' };
    }
    const origin = request.headers.origin;
    if (this.origins !== null && origin !== undefined && !this.origins.has(origin.toLowerCase())) {
      return { status: 403, message: 'this origin may not open sockets here (see --allowed-origins)', limit: 'origin' };
    }
    const ip = request.socket.remoteAddress ?? 'unknown';
    if (!proxied && !this.connects.admit(ip)) {
      const retryAfter = String(this.connects.retryAfterSeconds(ip));
      return { status: 429, message: 'too many connections from this address; retry later', limit: 'connects-per-ip', headers: { 'Retry-After': retryAfter } };
    }
    return null;
  }

  stop(): void {
    this.connects.stop();
  }
}
