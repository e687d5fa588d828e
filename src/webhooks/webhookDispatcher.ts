import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { repeatJittered } from '../scheduling/index.js';
import { nextAttemptAt, retryScheduleDefaults, type RetryScheduleOptions } from './retrySchedule.js';
import { webhookBody } from './webhookBody.js';
import { sendWebhook } from './webhookSender.js';
import type { AttemptOutcome, ClaimedDelivery, FinishedAttempt, WebhookStore } from './webhookStore.js';

export interface WebhookDispatcherOptions {
  store: WebhookStore;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  /** Refuse private addresses at send time unless this is set (--allow-private-webhooks). */
  allowPrivate: boolean;
  /** How often the outbox is polled for due deliveries (sooner after a local event: `kick`). */
  pollIntervalMs?: number;
  /** A 2xx must arrive within this (spec: 10 s). */
  timeoutMs?: number;
  /** How long a claim holds a delivery; a node that dies holding it loses it after this. */
  leaseMs?: number;
  /** Attempts this node runs at once. */
  maxInFlight?: number;
  /** Attempts at one endpoint at once, cluster-wide (a slow endpoint ties up at most this many). */
  maxPerEndpoint?: number;
  schedule?: RetryScheduleOptions;
  /** Delivered and failed deliveries are kept this long after their last attempt, for `webhooks deliveries`. */
  retentionMs?: number;
  /** How often this node prunes what is past the retention. */
  pruneIntervalMs?: number;
  random?: () => number;
  /** Told of every attempt's outcome once recorded (the node's metrics). */
  onAttempt?: (attempt: WebhookAttemptRecord) => void;
}

/** One attempt as the metrics see it. */
export interface WebhookAttemptRecord {
  /** `gone`: the endpoint answered 410 and was disabled; `failed`: the last retry failed. */
  readonly outcome: 'delivered' | 'retry' | 'failed' | 'gone';
  readonly eventType: string;
  /** From the request's start to its answer (or its timeout). */
  readonly durationMs: number;
}

export const webhookDispatcherDefaults = {
  pollIntervalMs: 1_000,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  maxInFlight: 16,
  maxPerEndpoint: 4,
  retentionMs: 7 * 24 * 60 * 60_000,
  pruneIntervalMs: 10 * 60_000,
} as const;

/**
 * Sends the outbox's deliveries: claims due ones with a lease (so in a cluster exactly one node
 * sends each, and another takes over when that node dies), signs and POSTs each, and records the
 * outcome: delivered on a 2xx within the timeout; otherwise retried with exponential backoff and
 * jitter, then failed after 24 h; a 410 disables the endpoint. It runs on its own timers, apart
 * from every document and board: an endpoint that never answers costs sockets, not their time.
 */
export class WebhookDispatcher {
  private readonly settings: Required<Omit<WebhookDispatcherOptions, 'store' | 'clock' | 'logger' | 'nodeId' | 'allowPrivate' | 'random' | 'onAttempt'>>;
  private readonly random: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: TimerHandle | null = null;
  private running = false;
  private claiming: Promise<number> | null = null;
  private claimFailing = false;
  private stopPruning: (() => void) | null = null;
  private claimAgain = false;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.settings = {
      pollIntervalMs: options.pollIntervalMs ?? webhookDispatcherDefaults.pollIntervalMs,
      timeoutMs: options.timeoutMs ?? webhookDispatcherDefaults.timeoutMs,
      leaseMs: options.leaseMs ?? webhookDispatcherDefaults.leaseMs,
      maxInFlight: options.maxInFlight ?? webhookDispatcherDefaults.maxInFlight,
      maxPerEndpoint: options.maxPerEndpoint ?? webhookDispatcherDefaults.maxPerEndpoint,
      schedule: options.schedule ?? retryScheduleDefaults,
      retentionMs: options.retentionMs ?? webhookDispatcherDefaults.retentionMs,
      pruneIntervalMs: options.pruneIntervalMs ?? webhookDispatcherDefaults.pruneIntervalMs,
    };
    this.random = options.random ?? Math.random;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
    // Without it the outbox would keep every document.updated of every document for good.
    this.stopPruning = repeatJittered({ clock: this.options.clock, intervalMs: this.settings.pruneIntervalMs }, () => void this.prune());
  }

  /** Deletes what is past the retention (also called by the timer). */
  async prune(): Promise<number> {
    try {
      return await this.options.store.pruneFinished(this.options.clock.now() - this.settings.retentionMs);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not prune old webhook deliveries; trying again later');
      return 0;
    }
  }

  /** Stops claiming; attempts under way finish (at most the timeout) and record their outcome. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopPruning?.();
    this.stopPruning = null;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.claiming?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  /** A local event was just written: look for due deliveries now rather than at the next poll. */
  kick(): void {
    if (!this.running) return;
    // A claim under way may have read the outbox before the new row: look again after it.
    if (this.claiming) this.claimAgain = true;
    else this.schedule(0);
  }

  /** Attempts started and not yet recorded. */
  get attemptsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * One claim: leases what is due (up to the free slots) and starts those attempts. Resolves to
   * how many it started; `settled()` waits for them.
   */
  claimOnce(): Promise<number> {
    this.claiming ??= this.claim().finally(() => {
      this.claiming = null;
      if (this.claimAgain) {
        this.claimAgain = false;
        this.kick();
      }
    });
    return this.claiming;
  }

  /** Resolves when every attempt started so far has been recorded. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    await this.claimOnce();
    if (this.running && this.timer === null) this.schedule(this.settings.pollIntervalMs);
  }

  private async claim(): Promise<number> {
    const free = this.settings.maxInFlight - this.inFlight.size;
    if (free <= 0) return 0;
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.options.store.claimDue({
        owner: `${this.options.nodeId}/${randomBytes(6).toString('hex')}`,
        now: this.options.clock.now(),
        leaseMs: this.settings.leaseMs,
        limit: free,
        maxPerEndpoint: this.settings.maxPerEndpoint,
      });
      if (this.claimFailing) this.options.logger.info('webhook outbox reachable again');
      this.claimFailing = false;
    } catch (error) {
      if (!this.claimFailing) this.options.logger.warn({ err: error }, 'could not claim webhook deliveries; retrying at the next poll');
      this.claimFailing = true;
      return 0;
    }
    for (const delivery of claimed) this.track(this.attempt(delivery));
    return claimed.length;
  }

  private track(attempt: Promise<void>): void {
    this.inFlight.add(attempt);
    void attempt.finally(() => {
      this.inFlight.delete(attempt);
      // A slot came free: more may be waiting for it.
      this.kick();
    });
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { clock, logger } = this.options;
    const startedAt = performance.now();
    const result = await sendWebhook(
      {
        url: delivery.url,
        secret: delivery.secret,
        messageId: delivery.deliveryId,
        body: webhookBody(delivery.eventType, delivery.eventCreatedAt, delivery.data),
        sentAt: new Date(clock.now()),
      },
      { timeoutMs: this.settings.timeoutMs, allowPrivate: this.options.allowPrivate },
    );
    const durationMs = performance.now() - startedAt;
    const now = clock.now();
    const finished: FinishedAttempt = { deliveryId: delivery.deliveryId, endpointId: delivery.endpointId, owner: delivery.owner, now, outcome: this.outcomeOf(delivery, result, now) };
    if (result.kind === 'gone') finished.disableEndpoint = `answered 410 Gone at ${new Date(now).toISOString()}`;
    const fields = { deliveryId: delivery.deliveryId, endpointId: delivery.endpointId, type: delivery.eventType };
    this.options.onAttempt?.({ outcome: result.kind === 'gone' ? 'gone' : finished.outcome.kind, eventType: delivery.eventType, durationMs });
    try {
      const recorded = await this.options.store.finishAttempt(finished);
      if (!recorded) logger.warn(fields, 'a webhook attempt outlived its lease; another node owns the delivery now');
    } catch (error) {
      // The lease runs out and the delivery is tried again: at least once, never lost.
      logger.warn({ ...fields, err: error }, 'could not record a webhook attempt; it will be retried');
      return;
    }
    if (result.kind === 'gone') logger.warn(fields, 'webhook endpoint answered 410 Gone: disabled');
    else if (finished.outcome.kind === 'failed') logger.warn({ ...fields, error: finished.outcome.error }, 'webhook delivery failed for good after 24 h of retries');
    else if (finished.outcome.kind === 'retry') logger.debug({ ...fields, error: finished.outcome.error, nextAttemptAt: finished.outcome.nextAttemptAt }, 'webhook attempt failed; retrying');
  }

  private outcomeOf(delivery: ClaimedDelivery, result: Awaited<ReturnType<typeof sendWebhook>>, now: number): AttemptOutcome {
    if (result.kind === 'delivered') return { kind: 'delivered', status: result.status };
    if (result.kind === 'gone') return { kind: 'failed', status: 410, error: 'endpoint answered 410 Gone; endpoint disabled' };
    const next = nextAttemptAt(delivery.attempts + 1, delivery.scheduleStartAt, now, this.settings.schedule, this.random);
    if (next === null) return { kind: 'failed', status: result.status, error: result.error };
    return { kind: 'retry', nextAttemptAt: next, status: result.status, error: result.error };
  }
}
