import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DocumentLimitName, HocuspocusLimitName } from '../documents/index.js';
import type { WebhookAttemptRecord } from '../webhooks/index.js';

/** Why the server cut a client off or refused it: one label value per limit. */
export type LimitName =
  | DocumentLimitName
  | HocuspocusLimitName
  | 'url-too-long'
  | 'too-many-headers'
  | 'origin'
  | 'connects-per-ip'
  | 'slow-reader'
  | 'liveness'
  | 'token-expired'
  | 'key-rotated';

export interface ServerGauges {
  /** Open WebSocket connections (documents and boards). */
  openSockets(): number;
  /** Document sessions in any state on this node. */
  documentSessions(): number;
  /** Sockets this node proxies to another region right now (edge side). */
  proxiedSockets?(): number;
  /** Bytes proxied to other regions so far, each direction (edge side). */
  proxiedBytes?(): { toOwner: number; toClient: number };
  /** Webhook attempts this node has under way (none without webhooks). */
  webhookAttemptsInFlight?(): number;
}

/** Why a cross-region hop did not become a served socket (issue 15). */
export type HopRefusal =
  /** Owner side: the hop header was malformed, forged or expired (HTTP 403). */
  | 'invalid'
  /** Owner side: this region does not hold the document at the hop's epoch (HTTP 421). */
  | 'not-owner'
  /** Edge side: the pinned region's node answered 421 (the edge retries once). */
  | 'edge-not-owner'
  /** Edge side: the pinned region's node did not answer, or answered something else. */
  | 'edge-unreachable'
  /** Edge side: the pinned region had no live node. */
  | 'edge-no-live-node';

/**
 * Process metrics (event-loop delay, RSS, GC, heap) exist once per process, however many servers
 * run in it (tests start hundreds): prom-client's collectors register observers that are never
 * removed, so one shared registry keeps them from piling up.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The node's Prometheus metrics (`GET /metrics`): process metrics plus this server's own. */
export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly limitHits: Counter<'limit'>;
  private readonly hopRefusals: Counter<'reason'>;
  /** Running totals the admin sampler reads each tick: plain numbers, no label lookup on the hot path. */
  private updates = 0;
  private limitHitCount = 0;
  private readonly webhookAttempts: Counter<'outcome' | 'type'>;
  private readonly webhookAttemptSeconds: Histogram;

  constructor(gauges: ServerGauges) {
    processMetrics();
    this.limitHits = new Counter({
      name: 'wiresocket_limit_hits_total',
      help: 'Connections refused or closed because they crossed a limit, by limit',
      labelNames: ['limit'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'wiresocket_open_sockets',
      help: 'Open WebSocket connections on this node (documents and boards)',
      registers: [this.registry],
      collect() {
        this.set(gauges.openSockets());
      },
    });
    this.hopRefusals = new Counter({
      name: 'wiresocket_region_hops_refused_total',
      help: 'Cross-region hops that did not become a served socket, by reason (owner side: invalid, not-owner; edge side: edge-*)',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'wiresocket_proxied_sockets',
      help: 'Sockets this node proxies to a node of another region right now',
      registers: [this.registry],
      collect() {
        this.set(gauges.proxiedSockets?.() ?? 0);
      },
    });
    // A counter read from the sockets' own byte counts when scraped: nothing is counted per chunk.
    new Counter({
      name: 'wiresocket_proxy_bytes_total',
      help: 'Bytes this node proxied between clients and nodes of other regions, by direction',
      labelNames: ['direction'],
      registers: [this.registry],
      collect() {
        const bytes = gauges.proxiedBytes?.() ?? { toOwner: 0, toClient: 0 };
        this.reset();
        this.inc({ direction: 'to-owner' }, bytes.toOwner);
        this.inc({ direction: 'to-client' }, bytes.toClient);
      },
    });
    const totals = this;
    new Counter({
      name: 'wiresocket_document_updates_total',
      help: 'Updates (clients\' and the HTTP API\'s) this node stored in the sync layer',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(totals.updates);
      },
    });
    this.webhookAttempts = new Counter({
      name: 'wiresocket_webhook_attempts_total',
      help: 'Webhook delivery attempts this node made, by outcome (delivered, retry, failed for good, gone: 410 disabled the endpoint) and event type',
      labelNames: ['outcome', 'type'],
      registers: [this.registry],
    });
    this.webhookAttemptSeconds = new Histogram({
      name: 'wiresocket_webhook_attempt_duration_seconds',
      help: 'Time from a webhook request to its answer or timeout',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    new Gauge({
      name: 'wiresocket_webhook_attempts_in_flight',
      help: 'Webhook attempts this node has under way',
      registers: [this.registry],
      collect() {
        this.set(gauges.webhookAttemptsInFlight?.() ?? 0);
      },
    });
    new Gauge({
      name: 'wiresocket_document_sessions',
      help: 'Document sessions on this node, in any state',
      registers: [this.registry],
      collect() {
        this.set(gauges.documentSessions());
      },
    });
  }

  /** Counts one refusal or cut-off by the limit that caused it. */
  limitHit(limit: LimitName): void {
    this.limitHitCount++;
    this.limitHits.inc({ limit });
  }

  /** Counts one client update stored in the sync layer. */
  updateStored(): void {
    this.updates++;
  }

  /** Client updates stored since the server started. */
  get updatesTotal(): number {
    return this.updates;
  }

  /** Limit hits since the server started, every limit together. */
  get limitHitsTotal(): number {
    return this.limitHitCount;
  }

  /** Counts one hop that did not become a served socket. */
  hopRefused(reason: HopRefusal): void {
    this.hopRefusals.inc({ reason });
  }

  /** Counts one recorded webhook attempt and its duration. */
  webhookAttempt(attempt: WebhookAttemptRecord): void {
    this.webhookAttempts.inc({ outcome: attempt.outcome, type: attempt.eventType });
    this.webhookAttemptSeconds.observe(attempt.durationMs / 1000);
  }

  /** Times this limit was hit (tests, stats). */
  async hitsOf(limit: LimitName): Promise<number> {
    const metric = await this.limitHits.get();
    return metric.values.find((value) => value.labels.limit === limit)?.value ?? 0;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric. */
  async render(): Promise<string> {
    return (await processMetrics().metrics()) + (await this.registry.metrics());
  }
}
