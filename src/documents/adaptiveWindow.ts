/** The bounds of a document's coalescing window (`--coalesce-ms`, `--coalesce-max-ms`). */
export interface CoalescingBounds {
  /** The shortest window, used while the document is quiet; 0 sends every update at once. */
  floorMs: number;
  /** The longest window, reached at `fullAtDeliveriesPerSecond` and above. */
  maxMs: number;
}

/**
 * Below this many deliveries per second (updates x receivers) a document keeps the floor: its
 * frames cost little, and a longer wait would only add to its latency.
 */
export const growFromDeliveriesPerSecond = 2_000;
/** At and above this rate the window is `maxMs`: a crowd's socket writes set the server's CPU. */
export const fullAtDeliveriesPerSecond = 20_000;
/** Weight of the newest window in the rate estimate (the rest is the estimate so far). */
const newestWeight = 0.5;

/**
 * How long a document's coalescing window is right now (issue 14). A busy document costs one
 * socket write per receiver per window, so a longer window buys CPU with latency; the window
 * grows linearly with the document's delivery rate from `floorMs` (below
 * `growFromDeliveriesPerSecond`) to `maxMs` (at `fullAtDeliveriesPerSecond`), measured over the
 * windows that had updates waiting. A window that ends with nothing waiting means the document
 * quietened: the estimate and the window drop to the floor at once.
 */
export class AdaptiveWindow {
  private deliveriesPerSecond = 0;
  private current: number;

  constructor(private readonly bounds: CoalescingBounds) {
    this.current = bounds.floorMs;
  }

  get ms(): number {
    return this.current;
  }

  /** A window ended having merged `updates` for `receivers` over `elapsedMs` since the last send. */
  observe(updates: number, receivers: number, elapsedMs: number): void {
    const measured = (updates * receivers * 1000) / Math.max(elapsedMs, 1);
    this.deliveriesPerSecond = newestWeight * measured + (1 - newestWeight) * this.deliveriesPerSecond;
    this.current = this.windowFor(this.deliveriesPerSecond);
  }

  /** The document quietened (a window ended empty, or an update found no window open). */
  quiet(): void {
    this.deliveriesPerSecond = 0;
    this.current = this.bounds.floorMs;
  }

  private windowFor(rate: number): number {
    const { floorMs, maxMs } = this.bounds;
    if (rate <= growFromDeliveriesPerSecond || maxMs <= floorMs) return floorMs;
    const share = Math.min(1, (rate - growFromDeliveriesPerSecond) / (fullAtDeliveriesPerSecond - growFromDeliveriesPerSecond));
    return floorMs + share * (maxMs - floorMs);
  }
}
