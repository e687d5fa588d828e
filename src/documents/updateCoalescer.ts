import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { AdaptiveWindow, type CoalescingBounds } from './adaptiveWindow.js';

/**
 * Merges the updates a document broadcasts within a short window into one (issue 5): a busy
 * document then costs its receivers one frame per window instead of one per update, which is
 * the work a server's CPU goes to (one socket write each).
 *
 * Leading edge, then windows: an update to a quiet document (nothing sent within the last
 * `windowMs`) goes out at once, so sparse edits wait for nothing; what follows within the
 * window is merged and sent when it ends, and a window follows a window for as long as updates
 * keep coming. The window's length adapts to the document's delivery rate between
 * `--coalesce-ms` and `--coalesce-max-ms` (adaptiveWindow.ts), so a quiet document waits the
 * floor at most and a crowd gets fewer, larger frames; a floor of 0 sends every update at once. Every update
 * is stored in the sync layer before it is added here, and the merge holds all of them, the
 * senders' own included (their echo), so nothing is reordered per writer and nothing is skipped.
 *
 * A window is a time of the last send, not a timer: a timer is set only when an update has to
 * wait, so a quiet document (most of them) costs no timer per update.
 */
export class UpdateCoalescer {
  private pending: Uint8Array[] = [];
  /** Set while updates wait for the end of the window. */
  private timer: NodeJS.Timeout | null = null;
  /** When the last send finished: the window runs from there for `window.ms`. */
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private readonly window: AdaptiveWindow;

  constructor(
    private readonly bounds: CoalescingBounds,
    private readonly send: (update: Uint8Array) => void,
    /** How many connections receive a send (the delivery rate the window adapts to). */
    private readonly receivers: () => number,
    /** A monotonic clock in ms (the tests give a mocked one). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.window = new AdaptiveWindow(bounds);
  }

  /** The window in force now, in ms (metrics and tests). */
  get windowMs(): number {
    return this.window.ms;
  }

  add(update: Uint8Array): void {
    if (this.bounds.floorMs === 0) return this.send(update);
    if (this.timer === null) {
      const sinceLastSend = this.now() - this.lastSentAt;
      if (sinceLastSend >= this.window.ms) {
        // Nothing sent for a whole window: the document quietened, so the window shrinks now.
        this.window.quiet();
        return this.sendNow(update);
      }
      this.timer = setTimeout(() => this.windowEnds(), Math.max(0, this.window.ms - sinceLastSend));
      this.timer.unref();
    }
    this.pending.push(update);
  }

  /** Sends what waits now (a session that ends). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.windowEnds();
  }

  /** What waited goes out merged, and the next window starts from this send. */
  private windowEnds(): void {
    this.timer = null;
    if (this.pending.length === 0) return;
    const updates = this.pending;
    this.pending = [];
    this.window.observe(updates.length, this.receivers(), this.now() - this.lastSentAt);
    this.sendNow(updates.length === 1 ? updates[0] : Y.mergeUpdates(updates));
  }

  /**
   * The window starts when the send is done: a broadcast to a crowd takes milliseconds, and a
   * window that began before it would be that much shorter.
   */
  private sendNow(update: Uint8Array): void {
    this.send(update);
    this.lastSentAt = this.now();
  }
}
