import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { WebhookAnnouncer, type WebhookAnnouncerOptions } from './webhookAnnouncer.js';
import { WebhookDispatcher, type WebhookAttemptRecord, type WebhookDispatcherOptions } from './webhookDispatcher.js';
import type { WebhookStore } from './webhookStore.js';

export interface WebhookServiceOptions {
  store: WebhookStore;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  updateIntervalMs: number;
  maxStateBytes: number;
  allowPrivate: boolean;
  /** Dispatcher settings besides those above (tests shorten the poll). */
  dispatcher?: Partial<Pick<WebhookDispatcherOptions, 'pollIntervalMs' | 'timeoutMs' | 'leaseMs' | 'maxInFlight' | 'maxPerEndpoint'>>;
  /** Paces document.updated across the nodes (the sync layer's leases); none: per node. */
  holdLease?: WebhookAnnouncerOptions['holdLease'];
  /** Told of every recorded attempt (the node's metrics). */
  onAttempt?: (attempt: WebhookAttemptRecord) => void;
}

/** How long a stopping node lets its attempts under way finish; the rest are retried by whoever claims them next. */
const stopGraceMs = 1_000;

/** A node's webhooks: the announcer its sessions report to and the dispatcher that sends. */
export class WebhookService {
  readonly announcer: WebhookAnnouncer;
  readonly dispatcher: WebhookDispatcher;

  constructor(private readonly options: WebhookServiceOptions) {
    this.dispatcher = new WebhookDispatcher({
      store: options.store,
      clock: options.clock,
      logger: options.logger,
      nodeId: options.nodeId,
      allowPrivate: options.allowPrivate,
      ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
      ...options.dispatcher,
    });
    this.announcer = new WebhookAnnouncer({
      store: options.store,
      clock: options.clock,
      logger: options.logger,
      updateIntervalMs: options.updateIntervalMs,
      maxStateBytes: options.maxStateBytes,
      onEnqueued: () => this.dispatcher.kick(),
      ...(options.holdLease ? { holdLease: options.holdLease } : {}),
    });
  }

  async start(): Promise<void> {
    const released = await this.options.store.releaseLeasesOf(this.options.nodeId);
    if (released > 0) this.options.logger.info({ released }, 'took back the webhook deliveries this node held before it restarted');
    await this.announcer.start();
    this.dispatcher.start();
  }

  /** Stops claiming; an attempt still open after a second is abandoned (its lease runs out, it is sent again). */
  async stop(): Promise<void> {
    this.announcer.stop();
    const stopped = this.dispatcher.stop();
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, stopGraceMs).unref())]);
  }
}
