import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { OutboxEvent } from '../routing/index.js';
import { parseDocumentKey } from '../tenancy/index.js';
import { SubscriptionCache } from './subscriptionCache.js';
import type { WebhookEventType } from './webhookEventTypes.js';
import { generateEventId } from './webhookSecret.js';
import type { WebhookStore } from './webhookStore.js';

export interface WebhookAnnouncerOptions {
  store: WebhookStore;
  clock: Clock;
  logger: Logger;
  /** At most one `document.updated` per document, and one `quota.reached` per app, per this (--webhook-update-interval-ms). */
  updateIntervalMs: number;
  /** A final state up to this size goes in `document.ended`; a larger one is left out (`stateOmitted`). */
  maxStateBytes: number;
  /** How often the subscriptions are re-read. */
  subscriptionRefreshMs?: number;
  /** An event was written: the dispatcher can look for it now. */
  onEnqueued?: () => void;
  /**
   * Takes a document's cluster-wide lease `name` for `ttlMs` (SyncLayer.holdLease): true when
   * this node holds it. It paces `document.updated` across the nodes serving one document.
   */
  holdLease?: (docKey: string, name: string, ttlMs: number) => Promise<boolean>;
}

/** The lease a node holds for an interval after it announced a document's update. */
const updatedLease = 'webhook-updated';

/**
 * Turns what documents and boards do into outbox events. `document.created` needs nothing from
 * here (the pin's own transaction writes it); `document.ended` is handed to the unpin that ends
 * the document, so it commits with it. The others are written on their own, after the fact:
 * their change is no control-store write (an update lives in the sync layer, a board in its
 * storage, a refused connect changes nothing).
 */
export class WebhookAnnouncer {
  private readonly subscriptions: SubscriptionCache;
  private readonly quotaAnnouncedAt = new Map<string, number>();

  constructor(private readonly options: WebhookAnnouncerOptions) {
    this.subscriptions = new SubscriptionCache(options.store, options.clock, options.logger, options.subscriptionRefreshMs ?? 2_000);
  }

  start(): Promise<void> {
    return this.subscriptions.start();
  }

  stop(): void {
    this.subscriptions.stop();
  }

  /** Re-reads the subscriptions now (a test, or after adding an endpoint in-process). */
  refresh(): Promise<void> {
    return this.subscriptions.refresh();
  }

  watchUpdates(docKey: string, state: { stateVector(): Uint8Array; isLive(): boolean }): { changed(): void } | null {
    const { tenantId, appId, name } = parseDocumentKey(docKey);
    if (!this.subscriptions.wants(tenantId, appId, 'document.updated')) return null;
    const { clock, updateIntervalMs } = this.options;
    let timer: TimerHandle | null = null;
    let lastAt = Number.NEGATIVE_INFINITY;
    const announce = async () => {
      if (!state.isLive()) return (timer = null);
      if (!(await this.holdsUpdatedSlot(docKey))) {
        // Another node announced within the interval. Its state vector may predate this node's
        // change, so this one goes out once that node's slot has run out.
        timer = clock.setTimeout(() => void announce(), updateIntervalMs);
        return;
      }
      timer = null;
      lastAt = clock.now();
      const stateVector = Buffer.from(state.stateVector()).toString('base64');
      this.enqueue('document.updated', tenantId, appId, { tenantId, appId, documentName: name, stateVector });
    };
    return {
      // The first change of a quiet document goes out at once; later ones within the interval
      // wait for its end and go out as one, with the state vector of then.
      changed: () => {
        if (timer === null) timer = clock.setTimeout(() => void announce(), Math.max(0, lastAt + updateIntervalMs - clock.now()));
      },
    };
  }

  /**
   * Whether this node may announce the document's update now: it took (or holds) the document's
   * slot for one interval, cluster-wide. A layer that does not answer lets it announce: a
   * duplicate is better than a change never announced (delivery is at least once anyway).
   */
  private async holdsUpdatedSlot(docKey: string): Promise<boolean> {
    const { holdLease, updateIntervalMs, logger } = this.options;
    if (!holdLease) return true;
    try {
      return await holdLease(docKey, updatedLease, updateIntervalMs);
    } catch (error) {
      logger.warn({ docKey, err: error }, 'could not take the document.updated slot; announcing anyway');
      return true;
    }
  }

  endedEvent(docKey: string, reason: string, finalState: (() => Uint8Array) | null): OutboxEvent | undefined {
    const { tenantId, appId, name } = parseDocumentKey(docKey);
    if (!this.subscriptions.wants(tenantId, appId, 'document.ended')) return undefined;
    const state = finalState?.() ?? null;
    const fits = state !== null && state.byteLength <= this.options.maxStateBytes;
    const data = {
      tenantId,
      appId,
      documentName: name,
      reason,
      stateBytes: state?.byteLength ?? null,
      stateOmitted: !fits,
      ...(fits ? { state: Buffer.from(state).toString('base64') } : {}),
    };
    return this.event('document.ended', tenantId, appId, data);
  }

  quotaReached(docKey: string, maxDocuments: number): void {
    const { tenantId, appId, name } = parseDocumentKey(docKey);
    if (!this.subscriptions.wants(tenantId, appId, 'quota.reached')) return;
    // A tenant at its limit refuses every first connect: one event per interval says it.
    const key = `${tenantId}\u0000${appId}`;
    const now = this.options.clock.now();
    if (now - (this.quotaAnnouncedAt.get(key) ?? Number.NEGATIVE_INFINITY) < this.options.updateIntervalMs) return;
    this.quotaAnnouncedAt.set(key, now);
    this.enqueue('quota.reached', tenantId, appId, { tenantId, appId, documentName: name, maxDocuments });
  }

  boardArchived(boardKey: string, reason: string, sequence: number): void {
    const { tenantId, appId, name } = parseDocumentKey(boardKey);
    if (!this.subscriptions.wants(tenantId, appId, 'board.archived')) return;
    this.enqueue('board.archived', tenantId, appId, { tenantId, appId, boardId: name, reason, sequence });
  }

  private event(type: WebhookEventType, tenantId: string, appId: string, data: object): OutboxEvent {
    return { eventId: generateEventId(), tenantId, appId, type, data: JSON.stringify(data), createdAt: this.options.clock.now() };
  }

  /** Written in the background: the document or board that caused it never waits for the store. */
  private enqueue(type: WebhookEventType, tenantId: string, appId: string, data: object): void {
    this.options.store
      .enqueue(this.event(type, tenantId, appId, data))
      .then((deliveries) => {
        if (deliveries > 0) this.options.onEnqueued?.();
      })
      .catch((error: unknown) => this.options.logger.warn({ err: error, type, tenantId, appId }, 'could not write a webhook event to the outbox'));
  }
}
