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
