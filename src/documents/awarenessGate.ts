import type { Clock, TimerHandle } from '../clock.js';
import { WiresocketError } from '../errors.js';
import type { AwarenessEntry } from './protocol.js';

export interface AwarenessGateOptions {
  clock: Clock;
  ratePerSecond: number;
  maxStateBytes: number;
  /** A coalesced state whose turn has come. */
  release: (entry: AwarenessEntry) => void;
}

/** What passes the gate now: the connection's own newest state, and whether it was all the message held. */
export interface AdmittedAwareness {
  entry: AwarenessEntry;
  whole: boolean;
}

/**
 * What one connection may announce. It owns one client id, the first it announced that it may
 * claim; entries for other ids are dropped (stock clients re-send the states they hear, so they
 * are not an error, but they are never taken as news from this connection: no spoofing). States
 * are capped in size, and at most `ratePerSecond` go out a second: a faster client's changes are
 * coalesced into its newest state, sent when its turn comes, and never queued.
 */
export class AwarenessGate {
  private owned: number | null = null;
  private tokens: number;
  private refilledAt: number;
  private pending: AwarenessEntry | null = null;
  private timer: TimerHandle | null = null;

  constructor(private readonly options: AwarenessGateOptions) {
    this.tokens = options.ratePerSecond;
    this.refilledAt = options.clock.now();
  }

  get ownedClientId(): number | null {
    return this.owned;
  }

  /**
   * The entry to apply now, or null (nothing of its own, or coalesced for later). Throws
   * AWARENESS_TOO_LARGE for an oversized state.
   */
  admit(entries: readonly AwarenessEntry[], mayClaim: (clientId: number) => boolean): AdmittedAwareness | null {
    for (const entry of entries) this.checkSize(entry);
    if (this.owned === null) this.owned = entries.find((entry) => mayClaim(entry.clientId))?.clientId ?? null;
    let own: AwarenessEntry | null = null;
    for (const entry of entries) if (entry.clientId === this.owned) own = entry;
    if (own === null) return null;
    if (!this.takeToken()) {
      this.pending = own;
      this.schedule();
      return null;
    }
    this.pending = null;
    return { entry: own, whole: entries.length === 1 };
  }

  stop(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private checkSize(entry: AwarenessEntry): void {
    const limit = this.options.maxStateBytes;
    // UTF-16 length bounds the UTF-8 length from below and 3x from above: count bytes only in between.
    if (entry.state.length <= limit / 3) return;
    const bytes = Buffer.byteLength(entry.state, 'utf8');
    if (bytes > limit) throw new WiresocketError('AWARENESS_TOO_LARGE', `${bytes} bytes, limit ${limit}`);
  }

  private takeToken(): boolean {
    const now = this.options.clock.now();
    const rate = this.options.ratePerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const waitMs = Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      const entry = this.pending;
      if (entry === null) return;
      if (!this.takeToken()) return this.schedule();
      this.pending = null;
      this.options.release(entry);
    }, waitMs);
  }
}
