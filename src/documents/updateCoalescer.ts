import * as Y from 'yjs';

/**
 * Merges the updates a document broadcasts within a short window into one (issue 5): a busy
 * document then costs its receivers one frame per window instead of one per update, which is
 * the work a server's CPU goes to (one socket write each). Bounded on purpose: the first update
 * of a window waits at most `windowMs`; 0 sends every update at once. Every update is stored in
 * the sync layer before it is added here, and the merge holds all of them, the senders' own
 * included (their echo), so nothing is reordered per writer and nothing stored is skipped.
 */
export class UpdateCoalescer {
  private pending: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly send: (update: Uint8Array) => void,
  ) {}

  add(update: Uint8Array): void {
    if (this.windowMs === 0) return this.send(update);
    this.pending.push(update);
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
  }

  /** Sends what waits now (a window that ends, or a session that ends). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const updates = this.pending;
    this.pending = [];
    this.send(updates.length === 1 ? updates[0] : Y.mergeUpdates(updates));
  }
}
