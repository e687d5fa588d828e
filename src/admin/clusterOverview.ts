/**
 * What the admin dashboard reads of the whole cluster from the control store (issue 18): the
 * pinned documents and boards with their connections per node, the nodes, and each tenant's live
 * document count. Read only; every node answers the same.
 */
export interface ClusterOverview {
  /**
   * Pinned sessions in key order, at most `limit`: `documents` are the rows with a tenant (the
   * ones that count against a quota); `boards` the rows without one (`board#<key>`, issue 15).
   */
  sessions(kind: SessionKind, limit: number): Promise<PinnedSession[]>;
  /** Every node row (live or not yet reaped) with its connection count, by node id. */
  nodes(): Promise<NodeRow[]>;
  /** Live (pinned) documents per tenant; tenants with none are absent. */
  liveDocumentsPerTenant(): Promise<Map<string, number>>;
}

export type SessionKind = 'documents' | 'boards';

export interface PinnedSession {
  /** The routing key: `tenant::app::name`, or `board#tenant::app::boardId`. */
  routeKey: string;
  region: string;
  /** The node that pinned it. */
  nodeId: string;
  pinnedAt: number;
  /** Open connections by node id (nodes with none absent). */
  connectionsByNode: Record<string, number>;
  /** The newest connect on any node; null with no connection. */
  lastConnectAt: number | null;
}

export interface NodeRow {
  nodeId: string;
  region: string;
  url: string;
  heartbeatAt: number;
  connections: number;
}

/** Folds the page's rows (one per session and connected node) into sessions, keeping key order. */
export function foldSessionRows(rows: readonly SessionRow[]): PinnedSession[] {
  const sessions = new Map<string, PinnedSession>();
  for (const row of rows) {
    let session = sessions.get(row.routeKey);
    if (!session) {
      session = { routeKey: row.routeKey, region: row.region, nodeId: row.nodeId, pinnedAt: row.pinnedAt, connectionsByNode: {}, lastConnectAt: null };
      sessions.set(row.routeKey, session);
    }
    if (row.connectedNode === null || row.connections === 0) continue;
    session.connectionsByNode[row.connectedNode] = row.connections;
    if (row.lastConnectAt !== null) session.lastConnectAt = Math.max(session.lastConnectAt ?? 0, row.lastConnectAt);
  }
  return [...sessions.values()];
}

/** One row of the page query: a session and one node's connections to it (none: connectedNode null). */
export interface SessionRow {
  routeKey: string;
  region: string;
  nodeId: string;
  pinnedAt: number;
  connectedNode: string | null;
  connections: number;
  lastConnectAt: number | null;
}

/**
 * The page of sessions joined with their connections per node, in both dialects (`?` placeholders;
 * PostgreSQL's adapter numbers them). Boards' rows carry tenant_id '' (routing's pinBoard).
 */
export function sessionPageSql(kind: SessionKind): string {
  const which = kind === 'documents' ? "tenant_id <> ''" : "tenant_id = ''";
  return `
  WITH page AS (
    SELECT doc_key, region, node_id, pinned_at FROM document_routing WHERE ${which} ORDER BY doc_key LIMIT ?)
  SELECT page.doc_key, page.region, page.node_id, page.pinned_at, s.node_id AS connected_node,
    COUNT(s.connection_id) AS connections, MAX(s.connected_at) AS last_connect_at
  FROM page LEFT JOIN active_sessions s ON s.doc_key = page.doc_key
  GROUP BY page.doc_key, page.region, page.node_id, page.pinned_at, s.node_id
  ORDER BY page.doc_key, s.node_id`;
}

export const nodesSql = `
  SELECT n.node_id, n.region, n.url, n.heartbeat_at,
    (SELECT COUNT(*) FROM active_sessions s WHERE s.node_id = n.node_id) AS connections
  FROM nodes n ORDER BY n.node_id`;

export const tenantCountsSql = "SELECT tenant_id, COUNT(*) AS n FROM document_routing WHERE tenant_id <> '' GROUP BY tenant_id";
