import { performance } from 'node:perf_hooks';
import { sendAwareness } from '../shared/wireAwareness.js';
import { isOpen, type SoakConnection, type SoakLoad } from './soakLoad.js';
import type { SoakPlan } from './soakPlan.js';

/** How often the schedule looks for due sends: fine enough at a 4 s mean interval, cheap at 2,000 editors. */
const tickMs = 20;
/** The same pseudo-random phases, waits and churn picks on every run. */
const seed = 0x50a4;

/**
 * The soak's editors at work: each sends an update after a wait of mean x (1 ± jitter) and an
 * awareness state likewise, from random phases so no two documents or editors run in lockstep
 * (a coalescing server would get free merges); every so often one leaves and comes back.
 * Latency is stamped at the send itself, so the tick's granularity does not enter it.
 */
export class SoakSchedule {
  private readonly random = mulberry32(seed);
  private tickTimer: NodeJS.Timeout | undefined;
  private churnTimer: NodeJS.Timeout | undefined;
  private readonly churning = new Set<Promise<void>>();

  constructor(
    private readonly load: SoakLoad,
    private readonly plan: SoakPlan,
  ) {}

  start(): void {
    const now = performance.now();
    for (const connection of this.load.connections) {
      connection.nextUpdateAt = now + this.random() * this.plan.updateIntervalMs;
      connection.nextAwarenessAt = now + this.random() * this.plan.awarenessIntervalMs;
    }
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    const churnEveryMs = 60_000 / (this.load.connections.length * this.plan.churnPerMinute);
    if (Number.isFinite(churnEveryMs)) this.churnTimer = setInterval(() => this.churnOne(), churnEveryMs);
  }

  /** Stops sending and churning; resolves once every churned editor is back (or has failed to be). */
  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.churnTimer);
    await Promise.all(this.churning);
  }

  private tick(): void {
    const now = performance.now();
    for (const connection of this.load.connections) {
      if (!isOpen(connection)) continue;
      if (connection.socket !== null && connection.socket.unexpectedCloses > 0) {
        this.load.noteCut(connection);
        continue;
      }
      if (connection.phase !== 'online') continue;
      if (now >= connection.nextUpdateAt) {
        connection.writer.sendNext();
        connection.nextUpdateAt = this.following(connection.nextUpdateAt, now, this.plan.updateIntervalMs);
      }
      if (now >= connection.nextAwarenessAt) {
        this.announce(connection);
        connection.nextAwarenessAt = this.following(connection.nextAwarenessAt, now, this.plan.awarenessIntervalMs);
      }
    }
  }

  /** The next due time; one that fell behind (an editor that was away) restarts from now, with no burst. */
  private following(due: number, now: number, meanMs: number): number {
    const next = due + meanMs * (1 + this.plan.jitter * (2 * this.random() - 1));
    return next > now ? next : now + meanMs * this.random();
  }

  private announce(connection: SoakConnection): void {
    if (!connection.socket) return;
    const state = { user: { name: `editor ${connection.writer.writer}` }, cursor: { index: connection.writer.length } };
    sendAwareness(connection.socket, connection.awarenessClientId, ++connection.awarenessClock, state);
  }

  /** A random online editor leaves and comes back; as y-websocket does, it announces itself at once. */
  private churnOne(): void {
    const connections = this.load.connections;
    for (let attempt = 0; attempt < 10; attempt++) {
      const connection = connections[Math.floor(this.random() * connections.length)];
      if (connection.phase !== 'online') continue;
      const churn = this.load.churn(connection).then(
        () => void (connection.nextAwarenessAt = 0),
        (error: unknown) => void (this.load.firstFailure ??= `churn: ${String(error)}`),
      );
      this.churning.add(churn);
      void churn.finally(() => this.churning.delete(churn));
      return;
    }
  }
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
