import type { OutboxEvent } from './outboxEvent.js';

// The outbox's writes on PostgreSQL, as parts of one statement (data-modifying CTEs), so the
// event goes in the same transaction as whatever else the statement does.

/** Enabled endpoints of app ($2 tenant, $3 app) subscribed to type $4, as `e`. */
const subscribed = `e.tenant_id = $2::text AND e.app_id = $3::text AND e.enabled AND (e.events = '*' OR position(',' || $4::text || ',' in e.events) > 0)`;

/** $1..$6 of the CTEs below, in order. */
export function outboxValues(event: OutboxEvent): unknown[] {
  return [event.eventId, event.tenantId, event.appId, event.type, event.data, event.createdAt];
}

/**
 * `outbox_event` and `outbox_deliveries` CTEs (to follow a WITH or a comma): the event when an
 * endpoint subscribes and `condition` holds, then one delivery per subscribed endpoint.
 */
export function outboxCtes(condition = 'true'): string {
  return `outbox_event AS (
      INSERT INTO webhook_events (event_id, tenant_id, app_id, event_type, data, created_at)
      SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint
      WHERE ${condition} AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE ${subscribed})
      RETURNING event_id, created_at),
    outbox_deliveries AS (
      INSERT INTO webhook_deliveries
        (delivery_id, event_id, endpoint_id, status, attempts, next_attempt_at, schedule_start_at, created_at, updated_at)
      SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), v.event_id, e.endpoint_id, 'pending', 0,
        v.created_at, v.created_at, v.created_at, v.created_at
      FROM outbox_event v JOIN webhook_endpoints e ON ${subscribed}
      RETURNING 1)`;
}

/** The event alone, in one statement. */
export const enqueueStatement = `WITH ${outboxCtes()} SELECT count(*) AS deliveries FROM outbox_deliveries`;
