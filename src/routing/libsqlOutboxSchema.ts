/**
 * The webhook outbox's tables on libSQL (migration 4 of schema.ts; issue 17). Times are integer
 * milliseconds since the epoch. `events` is `*` or `,type,type,` (one instr() tests a type).
 */
export const libsqlOutboxStatements: readonly string[] = [
  `CREATE TABLE webhook_endpoints (
    endpoint_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    disabled_reason TEXT,
    created_at INTEGER NOT NULL
  )`,
  // Every outbox write asks whether an app has endpoints.
  `CREATE INDEX webhook_endpoints_app ON webhook_endpoints (tenant_id, app_id)`,
  `CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`,
  // One row per event and endpoint; its id is the `webhook-id` of every attempt.
  `CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    schedule_start_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  )`,
  // The dispatcher's claim: due pending deliveries, oldest first.
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)`,
  `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at)`,
  // Pruning and removing endpoints drop the events no delivery refers to any more.
  `CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id)`,
];
