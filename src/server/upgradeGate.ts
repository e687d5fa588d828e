import type { IncomingMessage } from 'node:http';
import type { Clock } from '../clock.js';
import type { ServeConfig } from '../config.js';
import { ConnectsPerIp } from './connectsPerIp.js';
import type { LimitName } from './serverMetrics.js';

/** Why an upgrade is refused with a plain HTTP answer, before any token or store is touched. */
export interface UpgradeRefusal {
  status: number;
  message: string;
  limit: LimitName;
  headers?: Record<string, string>;
}

/**
 * How many headers of a request Node parses: the server sets `maxHeadersCount` to this (Node's
 * own default when it is unset), and Node drops the headers past it unseen, whatever they are.
 * An upgrade whose list reached it is refused, since it may have lost any of its headers: the
 * WebSocket ones, the subprotocol's token, the Origin. (Headers over 16 KiB in all never get
 * here: Node answers those itself with HTTP 431.)
 */
export const maxRequestHeaders = 1000;

type GateConfig = Pick<ServeConfig, 'maxUrlBytes' | 'allowedOrigins' | 'maxConnectsPerIpPerMinute'>;

/**
 * The checks every upgrade passes first, cheapest first: the URL's length (before it is
 * decoded), the number of headers (before any header is read: a cut list may have lost the
 * Origin), the browser's Origin (cross-site WebSocket hijacking), and the per-IP connect rate.
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
    // Node keeps in rawHeaders the headers it collected (in batches) before it stopped, so a
    // list that was cut holds at least the cap: one that reached it may have been cut.
    if (request.rawHeaders.length / 2 >= maxRequestHeaders) {
      return { status: 400, message: `too many headers: only the first ${maxRequestHeaders} of a request are read`, limit: 'too-many-headers' };
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
