import { planBatch } from './libsqlBatchPlan.js';
import { rowNumber, rowString, type LibsqlDatabase } from './libsqlDatabase.js';
import { prefixEnd } from './keyRange.js';
import { clearDeadConnectionsAfterTakeover, countOf, firstRoute, insertBoardRoute, recordEpochs, routeColumns, routeFromRow, selectRoute, takeOverGoneRegion } from './libsqlRoutingSql.js';
import { enqueueStatements } from './libsqlOutboxSql.js';
import type { OutboxEvent } from './outboxEvent.js';
import type {
  ActiveConnection,
  DocumentRoute,
  ListedDocument,
  NewDocumentRoute,
  NodeRecord,
  PinResult,
  ReapedNodes,
  RoutingOperation,
  RoutingOperationResult,
  RouteTakeover,
  RoutingTable,
  TakeoverResult,
} from './routingTable.js';

// SQL is shared by every call; values always travel as parameters (more in libsqlRoutingSql.ts).

const countTenantRoutes = 'SELECT COUNT(*) AS n FROM document_routing WHERE tenant_id = ?';
const deleteRoute = 'DELETE FROM document_routing WHERE doc_key = ?';
const deleteRouteIfUnused = `
  DELETE FROM document_routing
  WHERE doc_key = ? AND NOT EXISTS (SELECT 1 FROM active_sessions WHERE doc_key = ?)`;

const countDocumentConnections = 'SELECT COUNT(*) AS n FROM active_sessions WHERE doc_key = ?';

/** A page of one app's documents in key order (BINARY collation: byte order), with connection counts. */
const listRoutes = (lower: '>=' | '>') => `
  SELECT ${routeColumns.split(', ').map((column) => `r.${column}`).join(', ')},
    (SELECT COUNT(*) FROM active_sessions a WHERE a.doc_key = r.doc_key) AS connections
  FROM document_routing r
  WHERE r.doc_key ${lower} ? AND r.doc_key < ?
  ORDER BY r.doc_key
  LIMIT ?`;
const listRoutesFrom = listRoutes('>=');
const listRoutesAfter = listRoutes('>');

/** Refreshes an existing row only: a missing row must be noticed (the node was reaped). */
const updateNode = 'UPDATE nodes SET region = ?, url = ?, heartbeat_at = ? WHERE node_id = ?';
const insertNode = `
  INSERT INTO nodes (node_id, region, url, heartbeat_at)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (node_id) DO UPDATE SET
    region = excluded.region, url = excluded.url, heartbeat_at = excluded.heartbeat_at`;
const selectLiveNodes = 'SELECT node_id FROM nodes WHERE heartbeat_at >= ?';
const selectLiveNodeRecords = 'SELECT node_id, region, url FROM nodes WHERE heartbeat_at >= ? ORDER BY node_id';

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
    const [result] = await this.runBatch([{ kind: 'pin', route }]);
    if (result.kind !== 'pin') throw new Error('routing table: a pin answered as something else');
    return result.result;
  }

  /** One write batch: the conditional move, the dead rows, the epoch record, the row as it stands. */
  async takeOverRoute({ docKey, fromEpoch, region, nodeId, nodeTimeoutMs }: RouteTakeover): Promise<TakeoverResult> {
    const now = this.now();
    const args = [docKey, fromEpoch, region, nodeId, now, now - nodeTimeoutMs];
    const [moved, , , route] = await this.client.batch(
      [
        { sql: takeOverGoneRegion, args },
        { sql: clearDeadConnectionsAfterTakeover, args },
        { sql: recordEpochs(1), args: [docKey] },
        { sql: selectRoute, args: [docKey] },
      ],
      'write',
    );
    const current = firstRoute(route);
    return moved.rowsAffected > 0 && current ? { kind: 'taken', route: current } : { kind: 'refused', route: current };
  }

  async pinBoard({ docKey, region, nodeId }: Omit<NewDocumentRoute, 'tenantId'>): Promise<DocumentRoute> {
    const [, , route] = await this.client.batch(
      [
        { sql: insertBoardRoute, args: [docKey, region, nodeId, this.now()] },
        { sql: recordEpochs(1), args: [docKey] },
        { sql: selectRoute, args: [docKey] },
      ],
      'write',
    );
    const current = firstRoute(route);
    if (current === null) throw new Error('routing table: a board pin left no row');
    return current;
  }

  async unpinDocument(docKey: string, ended?: OutboxEvent): Promise<boolean> {
    if (ended === undefined) {
      const result = await this.client.execute({ sql: deleteRoute, args: [docKey] });
      return result.rowsAffected > 0;
    }
    const pinned = 'EXISTS (SELECT 1 FROM document_routing WHERE doc_key = ?7)';
    const results = await this.client.batch([...enqueueStatements(ended, pinned, [docKey]), { sql: deleteRoute, args: [docKey] }], 'write');
    return (results.at(-1)?.rowsAffected ?? 0) > 0;
  }

  async unpinIfUnused(docKey: string, ended?: OutboxEvent): Promise<boolean> {
    if (ended === undefined) {
      const result = await this.client.execute({ sql: deleteRouteIfUnused, args: [docKey, docKey] });
      return result.rowsAffected > 0;
    }
    // One write batch: the event goes in under the delete's own condition, read in the same
    // transaction, so it is written exactly when the delete happens.
    const unusedRoute = `EXISTS (SELECT 1 FROM document_routing WHERE doc_key = ?7)
      AND NOT EXISTS (SELECT 1 FROM active_sessions WHERE doc_key = ?7)`;
    const results = await this.client.batch(
      [...enqueueStatements(ended, unusedRoute, [docKey]), { sql: deleteRouteIfUnused, args: [docKey, docKey] }],
      'write',
    );
    return (results.at(-1)?.rowsAffected ?? 0) > 0;
  }

  /** One write batch (one transaction, one round trip); runs of one kind share statements (libsqlBatchPlan.ts). */
  async runBatch(operations: readonly RoutingOperation[]): Promise<RoutingOperationResult[]> {
    if (operations.length === 0) return [];
    const plan = planBatch(operations, this.now());
    return plan.answer(await this.client.batch(plan.statements, 'write'));
  }

  async addConnection(connection: ActiveConnection): Promise<void> {
    await this.runBatch([{ kind: 'add-connection', connection }]);
  }

  async removeConnection(connectionId: string): Promise<void> {
    await this.runBatch([{ kind: 'remove-connection', connectionId }]);
  }

  async countConnections(docKey: string): Promise<number> {
    const result = await this.client.execute({ sql: countDocumentConnections, args: [docKey] });
    return countOf(result);
  }

  async listDocuments(prefix: string, afterKey: string | null, limit: number): Promise<ListedDocument[]> {
    const from = afterKey ?? prefix;
    const result = await this.client.execute({ sql: afterKey === null ? listRoutesFrom : listRoutesAfter, args: [from, prefixEnd(prefix), limit] });
    return result.rows.map((row) => ({ ...routeFromRow(row), connections: rowNumber(row, 'connections') }));
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

  async liveNodes(timeoutMs: number): Promise<NodeRecord[]> {
    const result = await this.client.execute({ sql: selectLiveNodeRecords, args: [this.now() - timeoutMs] });
    return result.rows.map((row) => ({ nodeId: rowString(row, 'node_id'), region: rowString(row, 'region'), url: rowString(row, 'url') }));
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


