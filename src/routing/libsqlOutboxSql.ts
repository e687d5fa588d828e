import type { InStatement } from '@libsql/client';
import type { OutboxEvent } from './outboxEvent.js';

// The outbox's writes on libSQL. `events` holds `*` or `,type,type,` so one instr() tests a type.

/** Enabled endpoints of app (?2 tenant, ?3 app) subscribed to type ?4. */
const subscribedEndpoints = `
  FROM webhook_endpoints e
  WHERE e.tenant_id = ?2 AND e.app_id = ?3 AND e.enabled = 1
    AND (e.events = '*' OR instr(e.events, ',' || ?4 || ',') > 0)`;

/**
 * The event and its deliveries (one per subscribed endpoint), only while `condition` (SQL over
 * the same parameters, e.g. "the route is still there and unused") holds. Two statements, to be
 * run inside one write batch: the second sees the first's row, so an unsubscribed event writes
 * nothing at all.
 */
export function enqueueStatements(event: OutboxEvent, condition = '1 = 1', conditionArgs: readonly string[] = []): InStatement[] {
  const args = [event.eventId, event.tenantId, event.appId, event.type, event.data, event.createdAt, ...conditionArgs];
  return [
    {
      sql: `INSERT INTO webhook_events (event_id, tenant_id, app_id, event_type, data, created_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 ${subscribedEndpoints}) AND ${condition}`,
      args,
    },
    {
      sql: `INSERT INTO webhook_deliveries
          (delivery_id, event_id, endpoint_id, status, attempts, next_attempt_at, schedule_start_at, created_at, updated_at)
        SELECT 'msg_' || lower(hex(randomblob(16))), ?1, e.endpoint_id, 'pending', 0, ?6, ?6, ?6, ?6
        ${subscribedEndpoints} AND EXISTS (SELECT 1 FROM webhook_events WHERE event_id = ?1)`,
      args: args.slice(0, 6),
    },
  ];
}

/** Enabled endpoints `e` of the route `r`'s app subscribed to document.created. */
const createdSubscribers = `
  webhook_endpoints e ON e.tenant_id = r.tenant_id AND e.enabled = 1
    AND substr(r.doc_key, 1, length(e.tenant_id) + length(e.app_id) + 4) = e.tenant_id || '::' || e.app_id || '::'
    AND (e.events = '*' OR instr(e.events, ',document.created,') > 0)`;

/**
 * The routes among the documents a run of pins just inserted: their epoch is above the one
 * `document_epochs` records, which the run raises only after these statements.
 */
function freshRoutes(documents: number): string {
  const keys = Array.from({ length: documents }, () => '?').join(', ');
  return `r.doc_key IN (${keys}) AND r.epoch > COALESCE((SELECT d.epoch FROM document_epochs d WHERE d.doc_key = r.doc_key), 0)`;
}

/**
 * `document.created` for the pins of one run, to follow its inserts in the same write batch
 * (before the epochs are recorded): the routing rows and their events commit together. Two
 * statements per run, whatever its size; with no subscribed endpoint they join nothing. (A
 * trigger would do the same per row, but libSQL prepares every statement of a batch anew, and
 * a trigger is compiled into each insert: it doubled the cost of a pin.)
 */
export function createdEventStatements(docKeys: readonly string[]): InStatement[] {
  const eventId = `'created:' || r.epoch || ':' || r.doc_key`;
  return [
    {
      sql: `INSERT INTO webhook_events (event_id, tenant_id, app_id, event_type, data, created_at)
        SELECT ${eventId}, r.tenant_id, e.app_id, 'document.created',
          json_object('tenantId', r.tenant_id, 'appId', e.app_id,
            'documentName', substr(r.doc_key, length(e.tenant_id) + length(e.app_id) + 5),
            'region', r.region, 'epoch', r.epoch),
          r.pinned_at
        FROM document_routing r JOIN ${createdSubscribers}
        WHERE ${freshRoutes(docKeys.length)}
        GROUP BY r.doc_key`,
      args: [...docKeys],
    },
    {
      sql: `INSERT INTO webhook_deliveries
          (delivery_id, event_id, endpoint_id, status, attempts, next_attempt_at, schedule_start_at, created_at, updated_at)
        SELECT 'msg_' || lower(hex(randomblob(16))), ${eventId}, e.endpoint_id, 'pending', 0,
          r.pinned_at, r.pinned_at, r.pinned_at, r.pinned_at
        FROM document_routing r JOIN ${createdSubscribers}
        WHERE ${freshRoutes(docKeys.length)}`,
      args: [...docKeys],
    },
  ];
}
