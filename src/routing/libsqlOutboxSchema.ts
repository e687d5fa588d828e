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
  // document.created is written by the pin itself, whichever path pins (batch or not): the row
  // and its event commit together. An app without subscribed endpoints costs one indexed probe.
  `CREATE TRIGGER webhook_document_created AFTER INSERT ON document_routing
  WHEN EXISTS (
    SELECT 1 FROM webhook_endpoints e
    WHERE e.tenant_id = NEW.tenant_id AND e.enabled = 1
      AND substr(NEW.doc_key, 1, length(e.tenant_id) + length(e.app_id) + 4) = e.tenant_id || '::' || e.app_id || '::'
      AND (e.events = '*' OR instr(e.events, ',document.created,') > 0))
  BEGIN
    INSERT INTO webhook_events (event_id, tenant_id, app_id, event_type, data, created_at)
    SELECT 'evt_' || lower(hex(randomblob(16))), NEW.tenant_id, e.app_id, 'document.created',
      json_object('tenantId', NEW.tenant_id, 'appId', e.app_id,
        'documentName', substr(NEW.doc_key, length(e.tenant_id) + length(e.app_id) + 5),
        'region', NEW.region, 'epoch', NEW.epoch),
      NEW.pinned_at
    FROM webhook_endpoints e
    WHERE e.tenant_id = NEW.tenant_id AND e.enabled = 1
      AND substr(NEW.doc_key, 1, length(e.tenant_id) + length(e.app_id) + 4) = e.tenant_id || '::' || e.app_id || '::'
      AND (e.events = '*' OR instr(e.events, ',document.created,') > 0)
    LIMIT 1;
    INSERT INTO webhook_deliveries
      (delivery_id, event_id, endpoint_id, status, attempts, next_attempt_at, schedule_start_at, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(16))), last.event_id, e.endpoint_id, 'pending', 0,
      NEW.pinned_at, NEW.pinned_at, NEW.pinned_at, NEW.pinned_at
    FROM webhook_endpoints e, (SELECT event_id FROM webhook_events WHERE rowid = last_insert_rowid()) last
    WHERE e.tenant_id = NEW.tenant_id AND e.enabled = 1
      AND substr(NEW.doc_key, 1, length(e.tenant_id) + length(e.app_id) + 4) = e.tenant_id || '::' || e.app_id || '::'
      AND (e.events = '*' OR instr(e.events, ',document.created,') > 0);
  END`,
];
