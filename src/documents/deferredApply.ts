import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { housekeeping, jitteredDelay, type HousekeepingQueue } from '../scheduling/index.js';
import { raiseClocks } from './raiseClocks.js';

/** What a batch waits for at most before it is applied anyway (nobody asked for the document). */
export const deferredApplyDelayMs = 1_000;
/** Updates (or bytes) in a batch before it is applied at once: bounds what waits in memory. */
const maxBatchUpdates = 64;
const maxBatchBytes = 256 * 1024;

/**
 * Client updates stored and relayed but not yet applied to the session's Y.Doc (issue 5).
 * Applying costs a transaction each (integration, cleanup, events): ~5-13 us for a one-key edit,
 * most of what a delivered update costs besides its socket writes. Nobody reads the document
 * between two edits except to answer a join or a reconnect, so edits are applied in batches,
 * in one transaction: before anything reads the document (`flush`), after at most
 * `deferredApplyDelayMs`, or when a batch grows past its bounds.
 *
 * What the batch reaches is known without applying it (`splitIntegrable` worked it out), so the
 * dependency check of the next update sees the document as if the batch were applied.
 *
 * The timed flush is housekeeping (issue 14): sessions created by one connect storm would start
 * their timers in the same tick, and flush together every second. So the delay is jittered
 * (75-100 % of `deferredApplyDelayMs`) and the flush, when due, waits for its turn on the
 * housekeeping queue. A read (`flush`) or a full batch still applies at once.
 */
export class DeferredApply {
  private updates: Uint8Array[] = [];
  private bytes = 0;
  private readonly reach = new Map<number, number>();
  private timer: TimerHandle | null = null;
  /** A timed flush is waiting on the queue. */
  private queued = false;
  private readonly clock: Clock;
  private readonly queue: HousekeepingQueue;
  private readonly random: () => number;

  /** `apply` applies a batch, in order (the session: one transaction, and the checks around it). */
  constructor(
    private readonly apply: (updates: readonly Uint8Array[]) => void,
    options: { clock?: Clock; queue?: HousekeepingQueue; random?: () => number } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.queue = options.queue ?? housekeeping;
    this.random = options.random ?? Math.random;
  }

  /** An update that integrates into the document plus the batch, reaching `reach` once applied. */
  add(update: Uint8Array, reach: ReadonlyMap<number, number>): void {
    this.updates.push(update);
    this.bytes += update.length;
    raiseClocks(this.reach, reach);
    if (this.updates.length >= maxBatchUpdates || this.bytes >= maxBatchBytes) return this.flush();
    if (this.timer === null && !this.queued) this.timer = this.clock.setTimeout(() => this.due(), jitteredDelay(deferredApplyDelayMs, 0.25, this.random));
  }

  /** The clock the document reaches for `client` once the batch is applied (0: none in it). */
  clockOf(client: number): number {
    return this.reach.get(client) ?? 0;
  }

  /** Applies the batch now: call before reading the document. */
  flush(): void {
    const updates = this.take();
    if (updates.length > 0) this.apply(updates);
  }

  /** The timer fired: the flush takes its turn on the queue (a read may flush before it). */
  private due(): void {
    this.timer = null;
    this.queued = true;
    this.queue.enqueue(() => {
      this.queued = false;
      this.flush();
    }, 'deferred-apply');
  }

  /** Drops the batch (the session is gone). */
  discard(): void {
    this.take();
  }

  /** Empties the batch and stops its timer; returns what it held. */
  private take(): Uint8Array[] {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const updates = this.updates;
    this.updates = [];
    this.bytes = 0;
    this.reach.clear();
    return updates;
  }
}
