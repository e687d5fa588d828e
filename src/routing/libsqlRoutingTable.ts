import type { InStatement, ResultSet, Row } from '@libsql/client';
import { rowNumber, rowString, type LibsqlDatabase } from './libsqlDatabase.js';
import type {
  ActiveConnection,
  CreationCheck,
  DocumentRoute,
  NewDocumentRoute,
  NodeRecord,
  PinResult,
  ReapedNodes,
  RoutingOperation,
  RoutingOperationResult,
  RoutingTable,
} from './routingTable.js';

// SQL is shared by every call; values always travel as parameters.

/**
 * The quota check and the insert in one statement: the row goes in only while the tenant has
 * fewer routed documents than its limit, and never twice for one key. Inside a write batch
 * (BEGIN IMMEDIATE) no other connection or process can insert between the count and the insert.
 * The SELECT carries a WHERE, which SQLite needs to parse ON CONFLICT after INSERT ... SELECT.
 */
const insertRouteWithinQuota = `
  INSERT INTO document_routing (doc_key, tenant_id, region, node_id, pinned_at)
  SELECT ?, ?, ?, ?, ?
  WHERE (SELECT COUNT(*) FROM document_routing WHERE tenant_id = ?)
      < (SELECT max_documents FROM tenants WHERE tenant_id = ?)
  ON CONFLICT (doc_key) DO NOTHING`;
const selectRoute = 'SELECT doc_key, tenant_id, region, node_id, pinned_at FROM document_routing WHERE doc_key = ?';
const selectMaxDocuments = 'SELECT max_documents FROM tenants WHERE tenant_id = ?';
const countTenantRoutes = 'SELECT COUNT(*) AS n FROM document_routing WHERE tenant_id = ?';
const deleteRoute = 'DELETE FROM document_routing WHERE doc_key = ?';
const deleteRouteIfUnused = `
  DELETE FROM document_routing
  WHERE doc_key = ? AND NOT EXISTS (SELECT 1 FROM active_sessions WHERE doc_key = ?)`;

const upsertConnection = `
  INSERT INTO active_sessions (connection_id, doc_key, node_id, user_id, connected_at)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (connection_id) DO UPDATE SET
    doc_key = excluded.doc_key, node_id = excluded.node_id,
    user_id = excluded.user_id, connected_at = excluded.connected_at`;
const deleteConnection = 'DELETE FROM active_sessions WHERE connection_id = ?';
const countDocumentConnections = 'SELECT COUNT(*) AS n FROM active_sessions WHERE doc_key = ?';

/** Refreshes an existing row only: a missing row must be noticed (the node was reaped). */
const updateNode = 'UPDATE nodes SET region = ?, url = ?, heartbeat_at = ? WHERE node_id = ?';
const insertNode = `
  INSERT INTO nodes (node_id, region, url, heartbeat_at)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (node_id) DO UPDATE SET
    region = excluded.region, url = excluded.url, heartbeat_at = excluded.heartbeat_at`;
const selectLiveNodes = 'SELECT node_id FROM nodes WHERE heartbeat_at >= ?';

/** Nodes other than the caller that stopped beating (?1 cutoff, ?2 the caller's id). */
const staleNodes = 'SELECT node_id FROM nodes WHERE heartbeat_at < ?1 AND node_id <> ?2';
/**
 * Pinned documents that a stale node pinned or had connections to, and that no connection of
 * any other node uses: once the stale node's rows go, nobody is left to end them.
 */
const selectOrphanedByStale = `
  SELECT r.doc_key AS doc_key, MAX(n.heartbeat_at) AS last_heartbeat
  FROM document_routing r
  JOIN (SELECT doc_key, node_id FROM active_sessions UNION SELECT doc_key, node_id FROM document_routing) used
    ON used.doc_key = r.doc_key
  JOIN nodes n ON n.node_id = used.node_id AND n.heartbeat_at < ?1 AND n.node_id <> ?2
  WHERE NOT EXISTS (
    SELECT 1 FROM active_sessions a WHERE a.doc_key = r.doc_key AND a.node_id NOT IN (${staleNodes}))
  GROUP BY r.doc_key`;
const deleteStaleConnections = `DELETE FROM active_sessions WHERE node_id IN (${staleNodes})`;
const deleteStaleNodes = 'DELETE FROM nodes WHERE heartbeat_at < ?1 AND node_id <> ?2';
const deleteNodeConnections = 'DELETE FROM active_sessions WHERE node_id = ?';
const deleteNode = 'DELETE FROM nodes WHERE node_id = ?';
/** Documents the node pinned that no connection on any node still uses: nobody can end them now. */
const deleteOrphanedRoutesOfNode = `
  DELETE FROM document_routing
  WHERE node_id = ?
    AND NOT EXISTS (SELECT 1 FROM active_sessions a WHERE a.doc_key = document_routing.doc_key)`;

/**
 * RoutingTable on libSQL/Turso: one file shared by the processes of an embedded install, or one
 * remote database shared by every node. Each method is one round trip (one execute or one
 * batch). The table owns the database it is given: `close()` closes it.
 */
export class LibsqlRoutingTable implements RoutingTable {
  constructor(
    private readonly database: LibsqlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  private get client() {
    return this.database.client;
  }

  async getRoute(docKey: string): Promise<DocumentRoute | null> {
    const result = await this.client.execute({ sql: selectRoute, args: [docKey] });
    return firstRoute(result);
  }

  async countTenantDocuments(tenantId: string): Promise<number> {
    const result = await this.client.execute({ sql: countTenantRoutes, args: [tenantId] });
    return countOf(result);
  }

  async pinDocument(route: NewDocumentRoute): Promise<PinResult> {
    const [insert, stored, tenant] = await this.client.batch(pinStatements(route, this.now()), 'write');
    return pinOutcome(insert, stored, tenant);
  }

  async unpinDocument(docKey: string): Promise<boolean> {
    const result = await this.client.execute({ sql: deleteRoute, args: [docKey] });
    return result.rowsAffected > 0;
  }

  async unpinIfUnused(docKey: string): Promise<boolean> {
    const result = await this.client.execute({ sql: deleteRouteIfUnused, args: [docKey, docKey] });
    return result.rowsAffected > 0;
  }

  /** One write batch (one transaction, one round trip) holding every operation's statements in order. */
  async runBatch(operations: readonly RoutingOperation[]): Promise<RoutingOperationResult[]> {
    if (operations.length === 0) return [];
    const now = this.now();
    const statements: InStatement[] = [];
    for (const operation of operations) statements.push(...this.statementsOf(operation, now));
    const results = await this.client.batch(statements, 'write');
    let next = 0;
    return operations.map((operation): RoutingOperationResult => {
      switch (operation.kind) {
        case 'add-connection':
        case 'remove-connection':
          next += 1;
          return { kind: 'done' };
        case 'pin': {
          const [insert, stored, tenant] = results.slice(next, (next += 3));
          return { kind: 'pin', result: pinOutcome(insert, stored, tenant) };
        }
        case 'count-connections':
          return { kind: 'count', count: countOf(results[next++]) };
        case 'creation-check': {
          const [route, tenant, live] = results.slice(next, (next += 3));
          return { kind: 'creation-check', check: creationCheck(route, tenant, live) };
        }
      }
    });
  }

  private statementsOf(operation: RoutingOperation, now: number): InStatement[] {
    switch (operation.kind) {
      case 'add-connection': {
        const { connectionId, docKey, nodeId, userId } = operation.connection;
        return [{ sql: upsertConnection, args: [connectionId, docKey, nodeId, userId, now] }];
      }
      case 'remove-connection':
        return [{ sql: deleteConnection, args: [operation.connectionId] }];
      case 'pin':
        return pinStatements(operation.route, now);
      case 'count-connections':
        return [{ sql: countDocumentConnections, args: [operation.docKey] }];
      case 'creation-check':
        return [
          { sql: selectRoute, args: [operation.docKey] },
          { sql: selectMaxDocuments, args: [operation.tenantId] },
          { sql: countTenantRoutes, args: [operation.tenantId] },
        ];
    }
  }

  async addConnection(connection: ActiveConnection): Promise<void> {
    const { connectionId, docKey, nodeId, userId } = connection;
    await this.client.execute({ sql: upsertConnection, args: [connectionId, docKey, nodeId, userId, this.now()] });
  }

  async removeConnection(connectionId: string): Promise<void> {
    await this.client.execute({ sql: deleteConnection, args: [connectionId] });
  }

  async countConnections(docKey: string): Promise<number> {
    const result = await this.client.execute({ sql: countDocumentConnections, args: [docKey] });
    return countOf(result);
  }

  async heartbeat(node: NodeRecord): Promise<boolean> {
    const now = this.now();
    const updated = await this.client.execute({ sql: updateNode, args: [node.region, node.url, now, node.nodeId] });
    if (updated.rowsAffected > 0) return true;
    await this.client.execute({ sql: insertNode, args: [node.nodeId, node.region, node.url, now] });
    return false;
  }

  /**
   * A read first, so the usual answer (nobody is stale) costs no write lock on a file every
   * node shares; the write batch then re-reads inside its transaction, so two reapers never
   * both report the same node.
   */
  async reapStaleNodes(timeoutMs: number, selfId: string): Promise<ReapedNodes> {
    const now = this.now();
    const args = [now - timeoutMs, selfId];
    const candidates = await this.client.execute({ sql: staleNodes, args });
    if (candidates.rows.length === 0) return { nodeIds: [], orphans: [] };
    const [stale, orphaned] = await this.client.batch(
      [
        { sql: staleNodes, args },
        { sql: selectOrphanedByStale, args },
        { sql: deleteStaleConnections, args },
        { sql: deleteStaleNodes, args },
      ],
      'write',
    );
    return {
      nodeIds: stale.rows.map((row) => rowString(row, 'node_id')),
      orphans: orphaned.rows.map((row) => ({ docKey: rowString(row, 'doc_key'), silentForMs: now - rowNumber(row, 'last_heartbeat') })),
    };
  }

  async liveNodeIds(timeoutMs: number): Promise<string[]> {
    const result = await this.client.execute({ sql: selectLiveNodes, args: [this.now() - timeoutMs] });
    return result.rows.map((row) => rowString(row, 'node_id'));
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.client.batch(
      [
        { sql: deleteNodeConnections, args: [nodeId] },
        { sql: deleteOrphanedRoutesOfNode, args: [nodeId] },
        { sql: deleteNode, args: [nodeId] },
      ],
      'write',
    );
  }

  async ping(): Promise<void> {
    await this.client.execute('SELECT 1');
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}

/** The conditional insert, then the route and the tenant's limit read back (see `pinOutcome`). */
function pinStatements(route: NewDocumentRoute, now: number): InStatement[] {
  const { docKey, tenantId, region, nodeId } = route;
  return [
    { sql: insertRouteWithinQuota, args: [docKey, tenantId, region, nodeId, now, tenantId, tenantId] },
    { sql: selectRoute, args: [docKey] },
    { sql: selectMaxDocuments, args: [tenantId] },
  ];
}

function creationCheck(route: ResultSet, tenant: ResultSet, live: ResultSet): CreationCheck {
  const tenantRow = tenant.rows[0];
  return { route: firstRoute(route), maxDocuments: tenantRow ? rowNumber(tenantRow, 'max_documents') : null, liveDocuments: countOf(live) };
}

/**
 * Reads the batch's answers in order: our insert happened; else the document was already routed;
 * else the tenant is missing; else the only reason left is the quota.
 */
function pinOutcome(insert: ResultSet, stored: ResultSet, tenant: ResultSet): PinResult {
  const route = firstRoute(stored);
  if (insert.rowsAffected > 0 && route) return { kind: 'pinned', route };
  if (route) return { kind: 'existing', route };
  const tenantRow = tenant.rows[0];
  if (!tenantRow) return { kind: 'unknown-tenant' };
  return { kind: 'quota-exceeded', maxDocuments: rowNumber(tenantRow, 'max_documents') };
}

function firstRoute(result: ResultSet): DocumentRoute | null {
  const row = result.rows[0];
  return row ? routeFromRow(row) : null;
}

function routeFromRow(row: Row): DocumentRoute {
  return {
    docKey: rowString(row, 'doc_key'),
    tenantId: rowString(row, 'tenant_id'),
    region: rowString(row, 'region'),
    nodeId: rowString(row, 'node_id'),
    pinnedAt: rowNumber(row, 'pinned_at'),
  };
}

function countOf(result: ResultSet): number {
  const row = result.rows[0];
  return row ? rowNumber(row, 'n') : 0;
}
