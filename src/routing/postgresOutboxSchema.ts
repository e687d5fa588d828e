/**
 * The webhook outbox's tables on PostgreSQL (migration 3 of postgresControlSchema.ts; issue 17),
 * the same as on libSQL (libsqlOutboxSchema.ts).
 */
export const postgresOutboxStatements: readonly string[] = [
  `CREATE TABLE webhook_endpoints (
    endpoint_id text COLLATE "C" PRIMARY KEY,
    tenant_id text COLLATE "C" NOT NULL,
    app_id text COLLATE "C" NOT NULL,
    url text NOT NULL,
    secret text NOT NULL,
    events text NOT NULL,
    enabled boolean NOT NULL,
    disabled_reason text,
    created_at bigint NOT NULL
  )`,
  `CREATE INDEX webhook_endpoints_app ON webhook_endpoints (tenant_id, app_id)`,
  `CREATE TABLE webhook_events (
    event_id text COLLATE "C" PRIMARY KEY,
    tenant_id text COLLATE "C" NOT NULL,
    app_id text COLLATE "C" NOT NULL,
    event_type text NOT NULL,
    data text NOT NULL,
    created_at bigint NOT NULL
  )`,
  `CREATE TABLE webhook_deliveries (
    delivery_id text COLLATE "C" PRIMARY KEY,
    event_id text COLLATE "C" NOT NULL,
    endpoint_id text COLLATE "C" NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at bigint NOT NULL,
    schedule_start_at bigint NOT NULL,
    lease_owner text,
    lease_until bigint,
    last_status integer,
    last_error text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
  )`,
  `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)`,
  `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at)`,
  // Pruning and removing endpoints drop the events no delivery refers to any more.
  `CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id)`,
  // document.created is written by the pin itself (routing_pin's insert fires it): the row and
  // its event commit together. An app without subscribed endpoints costs one indexed probe.
  `CREATE FUNCTION webhook_document_created() RETURNS trigger
  LANGUAGE plpgsql AS $$
  DECLARE
    v_app text;
    v_event text;
  BEGIN
    SELECT e.app_id INTO v_app FROM webhook_endpoints e
    WHERE e.tenant_id = NEW.tenant_id AND e.enabled
      AND left(NEW.doc_key, length(e.tenant_id) + length(e.app_id) + 4) = e.tenant_id || '::' || e.app_id || '::'
      AND (e.events = '*' OR position(',document.created,' in e.events) > 0)
    LIMIT 1;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    v_event := 'evt_' || replace(gen_random_uuid()::text, '-', '');
    INSERT INTO webhook_events (event_id, tenant_id, app_id, event_type, data, created_at)
    VALUES (v_event, NEW.tenant_id, v_app, 'document.created',
      json_build_object('tenantId', NEW.tenant_id, 'appId', v_app,
        'documentName', substr(NEW.doc_key, length(NEW.tenant_id) + length(v_app) + 5),
        'region', NEW.region, 'epoch', NEW.epoch)::text,
      NEW.pinned_at);
    INSERT INTO webhook_deliveries
      (delivery_id, event_id, endpoint_id, status, attempts, next_attempt_at, schedule_start_at, created_at, updated_at)
    SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), v_event, e.endpoint_id, 'pending', 0,
      NEW.pinned_at, NEW.pinned_at, NEW.pinned_at, NEW.pinned_at
    FROM webhook_endpoints e
    WHERE e.tenant_id = NEW.tenant_id AND e.app_id = v_app AND e.enabled
      AND (e.events = '*' OR position(',document.created,' in e.events) > 0);
    RETURN NULL;
  END
  $$`,
  `CREATE TRIGGER webhook_document_created AFTER INSERT ON document_routing
    FOR EACH ROW EXECUTE FUNCTION webhook_document_created()`,
];
