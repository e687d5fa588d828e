import * as Y from 'yjs';

/**
 * Merges the updates a document broadcasts within a short window into one (issue 5): a busy
 * document then costs its receivers one frame per window instead of one per update, which is
 * the work a server's CPU goes to (one socket write each).
 *
 * Leading edge, then windows: an update to a quiet document (nothing sent within the last
 * `windowMs`) goes out at once, so sparse edits wait for nothing; what follows within the
 * window is merged and sent when it ends, and a window follows a window for as long as updates
 * keep coming. The wait is bounded by `windowMs`; 0 sends every update at once. Every update
 * is stored in the sync layer before it is added here, and the merge holds all of them, the
 * senders' own included (their echo), so nothing is reordered per writer and nothing is skipped.
 */
export class UpdateCoalescer {
  private pending: Uint8Array[] = [];
  /** Set while a window is open: from a send until `windowMs` later. */
  private window: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly send: (update: Uint8Array) => void,
  ) {}

  add(update: Uint8Array): void {
    if (this.windowMs === 0) return this.send(update);
    if (this.window !== null) {
      this.pending.push(update);
      return;
    }
    this.send(update);
    this.openWindow();
  }

  /** Sends what waits now (a session that ends) and closes the window. */
  flush(): void {
    if (this.window !== null) clearTimeout(this.window);
    this.window = null;
    this.sendPending();
  }

  private openWindow(): void {
    this.window = setTimeout(() => this.windowEnds(), this.windowMs);
    this.window.unref();
  }

  /** A window with updates in it sends them and opens the next; an empty one closes. */
  private windowEnds(): void {
    this.window = null;
    if (this.sendPending()) this.openWindow();
  }

  private sendPending(): boolean {
    if (this.pending.length === 0) return false;
    const updates = this.pending;
    this.pending = [];
    this.send(updates.length === 1 ? updates[0] : Y.mergeUpdates(updates));
    return true;
  }
}
