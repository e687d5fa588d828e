import type { ResultSet, Row } from '@libsql/client';
import { rowNumber, rowString } from './libsqlDatabase.js';
import type { DocumentRoute, PinResult } from './routingTable.js';

// The routing table's statements and row readers shared by its calls and its batch plan.
// SQL is shared by every call; values always travel as parameters.

export const routeColumns = 'doc_key, tenant_id, region, node_id, pinned_at, epoch';

/**
 * The quota check and the insert in one statement: the row goes in only while the tenant has
 * fewer routed documents than its limit, and never twice for one key. Inside a write batch
 * (BEGIN IMMEDIATE) no other connection or process can insert between the count and the insert.
 * The SELECT carries a WHERE, which SQLite needs to parse ON CONFLICT after INSERT ... SELECT.
 * The epoch is one above the highest the document ever had (`document_epochs` outlives purges).
 */
export const insertRouteWithinQuota = `
  INSERT INTO document_routing (doc_key, tenant_id, region, node_id, pinned_at, epoch)
  SELECT ?1, ?2, ?3, ?4, ?5, COALESCE((SELECT epoch FROM document_epochs WHERE doc_key = ?1), 0) + 1
  WHERE (SELECT COUNT(*) FROM document_routing WHERE tenant_id = ?2)
      < (SELECT max_documents FROM tenants WHERE tenant_id = ?2)
  ON CONFLICT (doc_key) DO NOTHING`;

/**
 * After a run of pins, in the same batch: each pinned document's epoch goes into
 * `document_epochs`, only ever raising it, so the next claim after a purge counts on from there.
 * `WHERE` again lets SQLite parse the ON CONFLICT.
 */
export function recordEpochs(documents: number): string {
  const keys = Array.from({ length: documents }, () => '?').join(', ');
  return `
  INSERT INTO document_epochs (doc_key, epoch)
  SELECT doc_key, epoch FROM document_routing WHERE doc_key IN (${keys})
  ON CONFLICT (doc_key) DO UPDATE SET epoch = excluded.epoch WHERE excluded.epoch > document_epochs.epoch`;
}
/**
 * A takeover (?1 document, ?2 the epoch seen, ?3 region, ?4 node, ?5 now, ?6 heartbeat cutoff):
 * the row moves only while it still holds the epoch seen and its region has no node that beat
 * since the cutoff. Inside the write batch no other claim or heartbeat commits in between.
 */
export const takeOverGoneRegion = `
  UPDATE document_routing SET region = ?3, node_id = ?4, pinned_at = ?5, epoch = epoch + 1
  WHERE doc_key = ?1 AND epoch = ?2 AND region <> ?3
    AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.region = document_routing.region AND n.heartbeat_at >= ?6)`;
/** After a won takeover (same arguments): the dead nodes' connection rows of the document go. */
export const clearDeadConnectionsAfterTakeover = `
  DELETE FROM active_sessions
  WHERE doc_key = ?1
    AND node_id NOT IN (SELECT node_id FROM nodes WHERE heartbeat_at >= ?6)
    AND EXISTS (SELECT 1 FROM document_routing r WHERE r.doc_key = ?1 AND r.node_id = ?4 AND r.epoch = ?2 + 1)`;
/** A board's row (?1 key, ?2 region, ?3 node, ?4 now), with no tenant (so outside every quota); WHERE lets SQLite parse the ON CONFLICT. */
export const insertBoardRoute = `
  INSERT INTO document_routing (doc_key, tenant_id, region, node_id, pinned_at, epoch)
  SELECT ?1, '', ?2, ?3, ?4, COALESCE((SELECT epoch FROM document_epochs WHERE doc_key = ?1), 0) + 1
  WHERE true
  ON CONFLICT (doc_key) DO NOTHING`;
export const selectRoute = `SELECT ${routeColumns} FROM document_routing WHERE doc_key = ?`;

/**
 * A pin's answer from what the batch read back: our insert happened; else the document was
 * already routed; else the tenant is missing; else the only reason left is the quota.
 */
export function pinOutcome(inserted: number, route: DocumentRoute | null, tenantRow: Row | null): PinResult {
  if (inserted > 0 && route) return { kind: 'pinned', route };
  if (route) return { kind: 'existing', route };
  if (!tenantRow) return { kind: 'unknown-tenant' };
  return { kind: 'quota-exceeded', maxDocuments: rowNumber(tenantRow, 'max_documents') };
}

export function firstRoute(result: ResultSet): DocumentRoute | null {
  const row = result.rows[0];
  return row ? routeFromRow(row) : null;
}

export function routeFromRow(row: Row): DocumentRoute {
  return {
    docKey: rowString(row, 'doc_key'),
    tenantId: rowString(row, 'tenant_id'),
    region: rowString(row, 'region'),
    nodeId: rowString(row, 'node_id'),
    pinnedAt: rowNumber(row, 'pinned_at'),
    epoch: rowNumber(row, 'epoch'),
  };
}

export function countOf(result: ResultSet): number {
  const row = result.rows[0];
  return row ? rowNumber(row, 'n') : 0;
}
