/**
 * One event for the webhook outbox (issue 17), written by the control store in the same
 * transaction as the change it reports. The routing table knows only this shape: the tables
 * (`webhook_endpoints`, `webhook_events`, `webhook_deliveries`) are part of the control store's
 * schema, and what reads them (the dispatcher) lives in src/webhooks/.
 *
 * An event is stored only when an enabled endpoint of its app subscribes to its type, and then
 * fanned out to one delivery per such endpoint; nothing is written for an app without endpoints.
 */
export interface OutboxEvent {
  eventId: string;
  tenantId: string;
  appId: string;
  /** `document.ended`, `board.archived`, ... */
  type: string;
  /** The body's `data` member, as JSON text (kept as text: a final state may be megabytes). */
  data: string;
  createdAt: number;
}

/** The `events` column of an endpoint that takes every type. */
export const allEventTypes = '*';
