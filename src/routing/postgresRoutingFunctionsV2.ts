// The routing functions as control-schema migration 2 created them, frozen: a released
// migration is never edited (postgresControlSchema.ts), so migration 2 still creates exactly
// these and migration 3 replaces them with the ones that also answer a tenant's residency
// (postgresRoutingFunctions.ts). Nothing calls these texts except that migration on a fresh database.

const resultColumnsV2 = `r_op integer, r_outcome text, r_doc_key text, r_tenant_id text, r_region text,
  r_node_id text, r_pinned_at bigint, r_max_documents bigint, r_amount bigint, r_epoch bigint`;

export const pinFunctionV2 = `
CREATE FUNCTION routing_pin(
  p_op integer, p_doc_key text, p_tenant_id text, p_region text, p_node_id text, p_now bigint
) RETURNS TABLE (${resultColumnsV2})
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
      RETURN QUERY SELECT p_op, 'unknown-tenant'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint;
      RETURN;
    END IF;
    SELECT count(*) INTO v_live FROM document_routing r WHERE r.tenant_id = p_tenant_id;
    IF v_live >= v_max THEN
      RETURN QUERY SELECT p_op, 'quota-exceeded'::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, v_max, NULL::bigint, NULL::bigint;
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
      RETURN QUERY SELECT p_op, 'pinned'::text, p_doc_key, p_tenant_id, p_region, p_node_id, p_now, NULL::bigint, NULL::bigint, v_epoch;
      RETURN;
    END IF;
    -- Pinned meanwhile under another tenant's lock (the key names another tenant): that one won.
    SELECT * INTO v_route FROM document_routing r WHERE r.doc_key = p_doc_key;
  END IF;
  RETURN QUERY SELECT p_op, 'existing'::text, v_route.doc_key, v_route.tenant_id, v_route.region,
    v_route.node_id, v_route.pinned_at, NULL::bigint, NULL::bigint, v_route.epoch;
END
$$`;

export const runBatchFunctionV2 = `
CREATE FUNCTION routing_run_batch(
  p_kinds text[], p_a text[], p_b text[], p_c text[], p_d text[], p_now bigint
) RETURNS TABLE (${resultColumnsV2})
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
          NULL::bigint, NULL::bigint, (SELECT count(*) FROM active_sessions s WHERE s.doc_key = x.doc_key), NULL::bigint
        FROM unnest(p_a[v_start:v_end]) WITH ORDINALITY AS x(doc_key, position);
      WHEN 'creation-check' THEN
        RETURN QUERY
        SELECT (v_start + x.position - 2)::integer, 'creation-check'::text, r.doc_key, r.tenant_id, r.region, r.node_id,
          r.pinned_at, t.max_documents, (SELECT count(*) FROM document_routing d WHERE d.tenant_id = x.tenant_id), r.epoch
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
