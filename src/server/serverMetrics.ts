import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { DocumentLimitName, HocuspocusLimitName } from '../documents/index.js';

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
}

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
    this.limitHits.inc({ limit });
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
