import type { WebSocket } from 'ws';
import type { Principal } from '../auth/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { WiresocketError } from '../errors.js';
import type { LimitName } from './serverMetrics.js';

/** A document or board connection: told why it must go, it logs once and closes with the code. */
export interface Supervisee {
  fail(error: unknown): void;
}

/**
 * A socket carrying many documents, each opened with its own token (the Hocuspocus dialect): it
 * checks its documents' tokens itself and ends just the ones concerned; the socket stays open.
 */
export interface MultiplexedSupervisee extends Supervisee {
  /** Ends the documents whose token expired by `now`; returns how many. */
  expireTokens(now: number): number;
  /** Ends the documents of the app opened with a key older than `keyVersion`; returns how many. */
  revokeKey(tenantId: string, appId: string, keyVersion: number): number;
}

export interface SocketSupervisorOptions {
  clock: Clock;
  /** Every socket is pinged this often; a client answers with a pong. */
  pingIntervalMs: number;
  /** A socket that sent no pong for this long is taken for dead (half-open TCP). */
  livenessTimeoutMs: number;
  /** Outbound bytes a socket may have queued ... */
  maxBufferedBytes: number;
  /** ... for this long before it is cut off (a client that never reads). */
  slowReaderTimeoutMs: number;
  onLimit: (limit: LimitName) => void;
}

/** The supervisor's timer runs at least this far apart (a slice of the sockets per run). */
const minSliceMs = 25;
/** A round (every socket checked once) is cut into at most this many slices. */
const maxSlicesPerRound = 20;

interface Watched {
  readonly ws: WebSocket;
  readonly connection: Supervisee;
  /** The socket's one token; null when its documents carry their own (`multiplexed`). */
  readonly principal: Principal | null;
  readonly multiplexed: MultiplexedSupervisee | null;
  lastHeardAt: number;
  lastPingAt: number;
  /** Since when the outbound queue has been over the limit, or null. */
  overBufferSince: number | null;
}

/**
 * The periodic checks every open socket gets, from one timer for the whole node rather than
 * timers per socket (memory per idle connection): pings, the liveness timeout, the outbound
 * queue limit, the token's `exp`, and key rotation. Whatever it cuts off is closed through its
 * connection (so the close code and the log line are the connection's usual ones) and then
 * terminated: a peer that does not read or answer would never complete a close handshake, and
 * its queued bytes are freed at once.
 *
 * Spread out (issue 14): a round, every socket checked once, lasts `roundMs` (a quarter of the
 * ping interval or slow-reader timeout, at most 1 s: the cut-offs' granularity), but the timer
 * runs `slicesPerRound` times a round and each run checks the next `ceil(size / slices)`
 * sockets where the last one stopped (round robin over the live Map iterator). With 5,000
 * sockets and 1 s rounds that is 250 checks every 50 ms instead of 5,000 in one turn. Each
 * socket's first ping is also given a random phase within the first half of the interval, so
 * sockets that connected together (a reconnect storm) are not pinged together for good.
 */
export class SocketSupervisor {
  private readonly watched = new Map<WebSocket, Watched>();
  private readonly timer: TimerHandle;
  /** One pong and one close listener for every socket (EventEmitter calls them with the socket as `this`). */
  private readonly onPong: (this: WebSocket) => void;
  private readonly onClose: (this: WebSocket) => void;
  /** Where the current round stands (a Map iterator sees sockets added after it started). */
  private cursor: IterableIterator<Watched> | null = null;
  private readonly slicesPerRound: number;
  private readonly random: () => number;

  constructor(
    private readonly options: SocketSupervisorOptions,
    /** For the first ping's phase; tests pass a fixed one. */
    random: () => number = Math.random,
  ) {
    this.random = random;
    const supervisor = this;
    this.onPong = function onPong(this: WebSocket) {
      const entry = supervisor.watched.get(this);
      if (entry) entry.lastHeardAt = supervisor.options.clock.now();
    };
    this.onClose = function onClose(this: WebSocket) {
      supervisor.unwatch(this);
    };
    const roundMs = Math.max(minSliceMs, Math.min(1_000, options.pingIntervalMs / 4, options.slowReaderTimeoutMs / 4));
    this.slicesPerRound = Math.max(1, Math.min(maxSlicesPerRound, Math.floor(roundMs / minSliceMs)));
    this.timer = options.clock.setInterval(() => this.checkSlice(), roundMs / this.slicesPerRound);
  }

  /** Starts watching an upgraded, admitted socket until it closes. */
  watch(ws: WebSocket, connection: Supervisee, principal: Principal): void {
    this.add(ws, connection, principal, null);
  }

  /** Starts watching a socket whose documents carry their own tokens (Hocuspocus) until it closes. */
  watchMultiplexed(ws: WebSocket, socket: MultiplexedSupervisee): void {
    this.add(ws, socket, null, socket);
  }

  private add(ws: WebSocket, connection: Supervisee, principal: Principal | null, multiplexed: MultiplexedSupervisee | null): void {
    const now = this.options.clock.now();
    // The first ping comes 50-100 % of an interval after the watch: sockets that came together spread.
    const lastPingAt = now - Math.floor((this.random() * this.options.pingIntervalMs) / 2);
    this.watched.set(ws, { ws, connection, principal, multiplexed, lastHeardAt: now, lastPingAt, overBufferSince: null });
    ws.on('pong', this.onPong);
    ws.on('close', this.onClose);
  }

  /**
   * The app's key changed: its sockets verified with an older key are closed with 4401, so
   * nobody keeps a session opened with a key that is no longer trusted.
   */
  closeApp(tenantId: string, appId: string, keyVersion: number): number {
    let closed = 0;
    // Deleting the entry being visited is safe in a Map's iteration: no copy per call.
    for (const entry of this.watched.values()) {
      const { principal, multiplexed } = entry;
      if (multiplexed) {
        closed += this.countHits(multiplexed.revokeKey(tenantId, appId, keyVersion), 'key-rotated');
        continue;
      }
      if (!principal || principal.tenantId !== tenantId || principal.appId !== appId || principal.keyVersion >= keyVersion) continue;
      this.cut(entry, new WiresocketError('TOKEN_KEY_ROTATED', `${tenantId}/${appId}`), 'key-rotated', false);
      closed++;
    }
    return closed;
  }

  get size(): number {
    return this.watched.size;
  }

  /**
   * A live Map iterator keeps the table it started on, ended sockets included, until it next
   * advances; with no socket left it never advances. So the round's cursor goes with the last
   * socket, or an idle node would hold its last sessions' memory (found by LIFE-11).
   */
  private unwatch(ws: WebSocket): void {
    this.watched.delete(ws);
    if (this.watched.size === 0) this.cursor = null;
  }

  stop(): void {
    this.options.clock.clearInterval(this.timer);
    this.watched.clear();
    this.cursor = null;
  }

  /** Sockets checked per timer run: what makes a round of `size` sockets end within its slices. */
  get sliceSize(): number {
    return Math.ceil(this.watched.size / this.slicesPerRound);
  }

  private checkSlice(): void {
    const now = this.options.clock.now();
    // No copy per tick: a Map's iterator tolerates the deletions `cut` makes.
    for (let left = this.sliceSize; left > 0; left--) {
      let next = (this.cursor ??= this.watched.values()).next();
      if (next.done) {
        // A round ended: the next starts here (the slice is at most `size`: no socket twice in one run).
        this.cursor = this.watched.values();
        next = this.cursor.next();
        if (next.done) return;
      }
      this.checkOne(next.value, now);
    }
  }

  private checkOne(entry: Watched, now: number): void {
    const { options } = this;
    if (entry.multiplexed) this.countHits(entry.multiplexed.expireTokens(now), 'token-expired');
    else if (entry.principal && now >= entry.principal.expiresAt) return this.cut(entry, new WiresocketError('TOKEN_EXPIRED', 'during the session'), 'token-expired', false);
    if (now - entry.lastHeardAt >= options.livenessTimeoutMs) return this.cut(entry, new WiresocketError('CONNECTION_SILENT'), 'liveness', true);
    if (entry.ws.bufferedAmount > options.maxBufferedBytes) {
      entry.overBufferSince ??= now;
      if (now - entry.overBufferSince >= options.slowReaderTimeoutMs) return this.cut(entry, new WiresocketError('SLOW_READER'), 'slow-reader', true);
    } else {
      entry.overBufferSince = null;
    }
    if (now - entry.lastPingAt >= options.pingIntervalMs) {
      entry.lastPingAt = now;
      entry.ws.ping();
    }
  }

  private countHits(hits: number, limit: LimitName): number {
    for (let i = 0; i < hits; i++) this.options.onLimit(limit);
    return hits;
  }

  /** `terminate`: the peer will not read the close frame, so its socket and queue go at once. */
  private cut(entry: Watched, error: WiresocketError, limit: LimitName, terminate: boolean): void {
    this.unwatch(entry.ws);
    this.options.onLimit(limit);
    entry.connection.fail(error);
    if (terminate) entry.ws.terminate();
  }
}
