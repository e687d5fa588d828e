import type { OutboxEvent } from '../routing/index.js';
import type { WebhookEventType } from './webhookEventTypes.js';

/**
 * Webhook endpoints and the durable outbox of their deliveries, in the control store (libSQL or
 * PostgreSQL; the tables are the control store's migrations). Every time is passed in, so the
 * retry schedule and the leases follow the caller's clock.
 *
 * Contract (test/webhooks/webhookStoreContract.ts, run for both adapters):
 * - `enqueue` writes an event only for an app with an enabled endpoint subscribed to its type,
 *   and one delivery per such endpoint; the delivery id is its `webhook-id` for every attempt.
 * - `claimDue` leases due deliveries to one owner: no delivery is leased to two owners at once, an
 *   expired lease can be taken over, and an endpoint never has more than `maxPerEndpoint` leased.
 * - `finishAttempt` counts only for the lease's owner (a node that lost its lease changes nothing).
 */
export interface WebhookStore {
  addEndpoint(endpoint: NewWebhookEndpoint): Promise<void>;
  /** Every endpoint, or those of one app; never the secrets. */
  listEndpoints(app?: AppName): Promise<WebhookEndpoint[]>;
  /** Removes the endpoint and its deliveries; false when there was none. */
  removeEndpoint(endpointId: string): Promise<boolean>;
  /** What the enabled endpoints subscribe to, for the event producers' cache. */
  subscriptions(): Promise<EndpointSubscription[]>;
  /** Stores the event and fans it out; resolves to the number of deliveries made (0: nobody subscribes). */
  enqueue(event: OutboxEvent): Promise<number>;
  claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]>;
  /**
   * Frees the leases of owners named `<nodeId>/...`: a node restarted under its id gives back what
   * its crashed run held (as `removeNode` does for its routing rows) instead of waiting them out.
   */
  releaseLeasesOf(nodeId: string): Promise<number>;
  /** Records one attempt's end; false when the caller no longer held the lease. */
  finishAttempt(attempt: FinishedAttempt): Promise<boolean>;
  listDeliveries(endpointId: string, options: { failedOnly: boolean; limit: number }): Promise<DeliveryRecord[]>;
  /** Makes a delivery due now with a fresh retry schedule (same id), unless there is none or its endpoint is disabled. */
  retryDelivery(deliveryId: string, now: number): Promise<RetryResult>;
  /**
   * Deletes delivered and failed deliveries last changed before `before`, and the events no
   * delivery refers to any more; resolves to the deliveries deleted. Pending ones always stay.
   */
  pruneFinished(before: number): Promise<number>;
}

export interface AppName {
  tenantId: string;
  appId: string;
}

export interface NewWebhookEndpoint extends AppName {
  endpointId: string;
  url: string;
  /** `whsec_...`: stored, used to sign, printed once when added. */
  secret: string;
  /** null: every type, also those added later. */
  events: readonly WebhookEventType[] | null;
  createdAt: number;
}

export interface WebhookEndpoint extends AppName {
  endpointId: string;
  url: string;
  events: readonly string[] | null;
  enabled: boolean;
  /** Why it was disabled (a 410 answer), when it was. */
  disabledReason: string | null;
  createdAt: number;
}

export interface EndpointSubscription extends AppName {
  events: readonly string[] | null;
}

export interface DeliveryClaim {
  /** Unique per claim (node id and a nonce): fences the attempt's result. */
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** Deliveries of one endpoint leased at once, cluster-wide. */
  maxPerEndpoint: number;
}

export interface ClaimedDelivery {
  deliveryId: string;
  endpointId: string;
  url: string;
  secret: string;
  eventType: string;
  /** The body's `data`, JSON text. */
  data: string;
  eventCreatedAt: number;
  /** Attempts made before this one. */
  attempts: number;
  /** When its retry schedule started (the 24 h count from here). */
  scheduleStartAt: number;
  owner: string;
}

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; nextAttemptAt: number; status: number | null; error: string }
  | { kind: 'failed'; status: number | null; error: string };

export interface FinishedAttempt {
  deliveryId: string;
  endpointId: string;
  owner: string;
  now: number;
  outcome: AttemptOutcome;
  /** Set when the endpoint answered 410: it is disabled with this reason. */
  disableEndpoint?: string;
}

export type RetryResult = 'due' | 'unknown' | 'endpoint-disabled';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The `events` column: `*`, or `,a,b,` so one substring test matches a type. */
export function eventsColumn(events: readonly string[] | null): string {
  return events === null ? '*' : `,${events.join(',')},`;
}

export function eventsFromColumn(column: string): readonly string[] | null {
  return column === '*' ? null : column.split(',').filter((type) => type !== '');
}

export function isDeliveryStatus(value: string): value is DeliveryStatus {
  return value === 'pending' || value === 'delivered' || value === 'failed';
}
