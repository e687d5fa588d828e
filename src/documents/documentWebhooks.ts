import type { OutboxEvent } from '../routing/index.js';

/**
 * What the document sessions tell the webhooks (issue 17), kept this narrow so the sessions
 * know nothing of endpoints or delivery. Every call is cheap and synchronous: any write it
 * causes happens off the connect and update paths.
 */
export interface DocumentWebhooks {
  /**
   * A session opened. Returns what to call after each stored client update (it announces
   * `document.updated` at most once per interval), or null when nobody subscribes.
   */
  watchUpdates(docKey: string, state: { stateVector(): Uint8Array; isLive(): boolean }): DocumentUpdateWatch | null;
  /**
   * The event announcing the end of a document (written by the winning unpin, in its
   * transaction), or undefined when nobody subscribes. `finalState` is read only then.
   */
  endedEvent(docKey: string, reason: string, finalState: (() => Uint8Array) | null): OutboxEvent | undefined;
  /** A first connect was refused because the tenant reached its maxDocuments. */
  quotaReached(docKey: string, maxDocuments: number): void;
}

export interface DocumentUpdateWatch {
  /** A client update was stored. */
  changed(): void;
}
