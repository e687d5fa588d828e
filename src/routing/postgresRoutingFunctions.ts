// The routing table's multi-step operations on PostgreSQL, as PL/pgSQL functions: one call is
// one round trip and one transaction (the function runs inside the calling statement's), and
// unlike one SQL statement, whose parts all read one snapshot taken before it waits for any
// lock, each statement in a function takes a fresh snapshot under READ COMMITTED: once a lock
// is held, what follows reads what the previous holder committed, as in a serial execution.
//
// The result row of `routing_run_batch` and `routing_pin`: the operation's index in the batch
// (from 0), its outcome, a route's columns, a tenant's max_documents and a count. Names carry
// `r_` so they never shadow a table's columns inside the functions. A creation check also answers
// the tenant's residency (`allowed_regions`, comma-joined; NULL: anywhere).
const resultColumns = `r_op integer, r_outcome text, r_doc_key text, r_tenant_id text, r_region text,
  r_node_id text, r_pinned_at bigint, r_max_documents bigint, r_amount bigint, r_epoch bigint, r_allowed_regions text`;

/** The signatures migrations 2 and 3 drop before they create the next versions (a RETURNS TABLE cannot change in place). */
export const dropFunctionsV1 = [
  'DROP FUNCTION routing_run_batch(text[], text[], text[], text[], text[], bigint)',
  'DROP FUNCTION routing_pin(integer, text, text, text, text, bigint)',
];

/**
 * One pin: the existing route, else the quota check and the insert. The caller holds the
 * tenant's row lock (`routing_run_batch` takes them all first); FOR UPDATE here again covers a
 * tenant created since, and is free when the lock is held. Every pin of a tenant queues on that
 * row, so the count below sees every pin committed before it: concurrent pins from any number
 * of connections and processes never overshoot `max_documents`.
 */
export const pinFunction = `
CREATE FUNCTION routing_pin(
  p_op integer, p_doc_key text, p_tenant_id text, p_region text, p_node_id text, p_now bigint
) RETURNS TABLE (${resultColumns})
LANGUAGE plpgsql AS $$
DECLARE
  v_route document_routing%ROWTYPE;
  v_max bigint;
  v_live bigint;
  v_epoch bigint;
BEGIN
  SELECT * INTO v_route FROM document_routing r WHERE r.doc_key = p_doc_key;
  IF NOT FOUND THEN
    SELECT t.max_documents INTO v_max FROM tenants t WHERE t.tenant_id = p_tenant_id FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT p_op, 'unknown-tenant'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text;
      RETURN;
    END IF;
    SELECT count(*) INTO v_live FROM document_routing r WHERE r.tenant_id = p_tenant_id;
    IF v_live >= v_max THEN
      RETURN QUERY SELECT p_op, 'quota-exceeded'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, v_max, NULL::bigint, NULL::bigint, NULL::text;
      RETURN;
    END IF;
    -- The claim's epoch: one above the highest the document ever had (document_epochs outlives purges).
    INSERT INTO document_routing (doc_key, tenant_id, region, node_id, pinned_at, epoch)
    VALUES (p_doc_key, p_tenant_id, p_region, p_node_id, p_now,
      coalesce((SELECT e.epoch FROM document_epochs e WHERE e.doc_key = p_doc_key), 0) + 1)
    ON CONFLICT (doc_key) DO NOTHING
    RETURNING epoch INTO v_epoch;
    IF FOUND THEN
      INSERT INTO document_epochs AS e (doc_key, epoch) VALUES (p_doc_key, v_epoch)
      ON CONFLICT (doc_key) DO UPDATE SET epoch = greatest(e.epoch, EXCLUDED.epoch);
      RETURN QUERY SELECT p_op, 'pinned'::text, p_doc_key, p_tenant_id, p_region, p_node_id, p_now, NULL::bigint, NULL::bigint, v_epoch, NULL::text;
      RETURN;
    END IF;
    -- Pinned meanwhile under another tenant's lock (the key names another tenant): that one won.
    SELECT * INTO v_route FROM document_routing r WHERE r.doc_key = p_doc_key;
  END IF;
  RETURN QUERY SELECT p_op, 'existing'::text, v_route.doc_key, v_route.tenant_id, v_route.region,
    v_route.node_id, v_route.pinned_at, NULL::bigint, NULL::bigint, v_route.epoch, NULL::text;
END
$$`;

/**
 * `RoutingTable.runBatch`: operation i is kind p_kinds[i] with arguments p_a[i]..p_d[i]
 * (add-connection: connection, document, node, user; remove-connection: connection;
 * count-connections: document; creation-check: document, tenant; pin: document, tenant, region,
 * node). A run of neighbours of one kind shares one statement, as on libSQL, so every operation
 * still sees exactly the rows of those before it. Adds and removals answer no row.
 *
 * Locks, always in this order so that batches never deadlock: first the tenant rows of every
 * pin (sorted), then, per run of adds, the route rows of their documents (KEY SHARE, sorted).
 * The latter makes an add and `routing_unpin_if_unused` of its document queue on one row: the
 * unpin then either sees the connection or commits before it, never neither.
 *
 * A connection id twice in one run of adds: ON CONFLICT DO UPDATE may not touch one row twice
 * in a statement, so the run keeps each id's last row, which is what adding them in order leaves.
 */
export const runBatchFunction = `
CREATE FUNCTION routing_run_batch(
  p_kinds text[], p_a text[], p_b text[], p_c text[], p_d text[], p_now bigint
) RETURNS TABLE (${resultColumns})
LANGUAGE plpgsql AS $$
DECLARE
  v_total integer := coalesce(cardinality(p_kinds), 0);
  v_start integer := 1;
  v_end integer;
BEGIN
  PERFORM 1 FROM tenants t
  WHERE t.tenant_id IN (SELECT p_b[i] FROM generate_subscripts(p_kinds, 1) AS i WHERE p_kinds[i] = 'pin')
  ORDER BY t.tenant_id FOR UPDATE;
  WHILE v_start <= v_total LOOP
    v_end := v_start;
    WHILE v_end < v_total AND p_kinds[v_end + 1] = p_kinds[v_start] LOOP
      v_end := v_end + 1;
    END LOOP;
    CASE p_kinds[v_start]
      WHEN 'add-connection' THEN
        PERFORM 1 FROM document_routing r WHERE r.doc_key = ANY (p_b[v_start:v_end]) ORDER BY r.doc_key FOR KEY SHARE;
        INSERT INTO active_sessions (connection_id, doc_key, node_id, user_id, connected_at)
        SELECT DISTINCT ON (x.connection_id) x.connection_id, x.doc_key, x.node_id, x.user_id, p_now
        FROM unnest(p_a[v_start:v_end], p_b[v_start:v_end], p_c[v_start:v_end], p_d[v_start:v_end])
          WITH ORDINALITY AS x(connection_id, doc_key, node_id, user_id, position)
        ORDER BY x.connection_id, x.position DESC
        ON CONFLICT (connection_id) DO UPDATE SET
          doc_key = EXCLUDED.doc_key, node_id = EXCLUDED.node_id,
          user_id = EXCLUDED.user_id, connected_at = EXCLUDED.connected_at;
      WHEN 'remove-connection' THEN
        DELETE FROM active_sessions s WHERE s.connection_id = ANY (p_a[v_start:v_end]);
      WHEN 'count-connections' THEN
        RETURN QUERY
        SELECT (v_start + x.position - 2)::integer, 'count'::text, NULL::text, NULL::text, NULL::text, NULL::text,
          NULL::bigint, NULL::bigint, (SELECT count(*) FROM active_sessions s WHERE s.doc_key = x.doc_key), NULL::bigint, NULL::text
        FROM unnest(p_a[v_start:v_end]) WITH ORDINALITY AS x(doc_key, position);
      WHEN 'creation-check' THEN
        RETURN QUERY
        SELECT (v_start + x.position - 2)::integer, 'creation-check'::text, r.doc_key, r.tenant_id, r.region, r.node_id,
          r.pinned_at, t.max_documents, (SELECT count(*) FROM document_routing d WHERE d.tenant_id = x.tenant_id), r.epoch, t.allowed_regions
        FROM unnest(p_a[v_start:v_end], p_b[v_start:v_end]) WITH ORDINALITY AS x(doc_key, tenant_id, position)
        LEFT JOIN document_routing r ON r.doc_key = x.doc_key
        LEFT JOIN tenants t ON t.tenant_id = x.tenant_id;
      WHEN 'pin' THEN
        FOR i IN v_start..v_end LOOP
          RETURN QUERY SELECT * FROM routing_pin(i - 1, p_a[i], p_b[i], p_c[i], p_d[i], p_now);
        END LOOP;
      ELSE
        RAISE EXCEPTION 'routing_run_batch: unknown operation %', p_kinds[v_start];
    END CASE;
    v_start := v_end + 1;
  END LOOP;
END
$$`;

/**
 * Unpins a document no connection uses. The route row is locked first, so the check reads every
 * connection whose add committed before it (adds lock that row too): of several callers exactly
 * one gets true, and an add either is seen here or finds the route gone.
 */
export const unpinIfUnusedFunction = `
CREATE FUNCTION routing_unpin_if_unused(p_doc_key text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM document_routing r WHERE r.doc_key = p_doc_key FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  DELETE FROM document_routing r WHERE r.doc_key = p_doc_key
    AND NOT EXISTS (SELECT 1 FROM active_sessions a WHERE a.doc_key = p_doc_key);
  RETURN FOUND;
END
$$`;

/**
 * `RoutingTable.removeNode`: the node's connections go, then the documents it pinned that no
 * connection uses (their rows locked first, as in the unpin), then its heartbeat row.
 */
export const removeNodeFunction = `
CREATE FUNCTION routing_remove_node(p_node_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM active_sessions a WHERE a.node_id = p_node_id;
  PERFORM 1 FROM document_routing r WHERE r.node_id = p_node_id ORDER BY r.doc_key FOR UPDATE;
  DELETE FROM document_routing r WHERE r.node_id = p_node_id
    AND NOT EXISTS (SELECT 1 FROM active_sessions a WHERE a.doc_key = r.doc_key);
  DELETE FROM nodes n WHERE n.node_id = p_node_id;
END
$$`;
