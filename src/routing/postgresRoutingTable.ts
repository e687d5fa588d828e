import { batchArguments, batchResults } from './postgresBatchRows.js';
import { intColumn, textColumn, type PostgresRow } from './postgresColumns.js';
import type { PostgresControlDatabase } from './postgresControlDatabase.js';
import { outboxCtes, outboxValues } from './postgresOutboxSql.js';
import type { OutboxEvent } from './outboxEvent.js';
import { prefixEnd } from './keyRange.js';
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

// SQL is shared by every call; values always travel as parameters. The hot statements are
// named, so each pooled connection parses and plans them once.

const runBatch = {
  name: 'routing_run_batch',
  text: 'SELECT * FROM routing_run_batch($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint)',
};
const selectRoute = {
  name: 'routing_select_route',
  text: 'SELECT doc_key, tenant_id, region, node_id, pinned_at, epoch FROM document_routing WHERE doc_key = $1',
};
const countConnections = { name: 'routing_count_connections', text: 'SELECT count(*) AS n FROM active_sessions WHERE doc_key = $1' };
const unpinIfUnused = { name: 'routing_unpin_if_unused', text: 'SELECT routing_unpin_if_unused($1) AS unpinned' };
/**
 * The conditional unpin and, when it won, the event of the end: one statement, one transaction.
 * The function runs once (a volatile CTE is materialised) before the outbox CTEs read its answer.
 */
const unpinIfUnusedAnnouncing = `
  WITH unpin AS (SELECT routing_unpin_if_unused($7::text) AS unpinned),
  ${outboxCtes('(SELECT unpinned FROM unpin)')}
  SELECT unpinned FROM unpin`;
const countTenantRoutes = 'SELECT count(*) AS n FROM document_routing WHERE tenant_id = $1';
const deleteRoute = 'DELETE FROM document_routing WHERE doc_key = $1';
/** The unpin and, when it removed the row, its event (a DELETE's `document.ended`): one statement. */
const deleteRouteAnnouncing = `
  WITH unpin AS (DELETE FROM document_routing WHERE doc_key = $7::text RETURNING 1),
  ${outboxCtes('EXISTS (SELECT 1 FROM unpin)')}
  SELECT EXISTS (SELECT 1 FROM unpin) AS unpinned`;
/** A page of one app's documents in byte order (`COLLATE "C"`: the range must not follow a locale), with connection counts. */
const listRoutes = (lower: '>=' | '>') => ({
  name: `routing_list_routes_${lower === '>' ? 'after' : 'from'}`,
  text: `SELECT r.doc_key, r.tenant_id, r.region, r.node_id, r.pinned_at, r.epoch,
           (SELECT count(*) FROM active_sessions a WHERE a.doc_key = r.doc_key) AS connections
         FROM document_routing r
         WHERE r.doc_key COLLATE "C" ${lower} $1 AND r.doc_key COLLATE "C" < $2
         ORDER BY r.doc_key COLLATE "C"
         LIMIT $3`,
});
const listRoutesFrom = listRoutes('>=');
const listRoutesAfter = listRoutes('>');

/**
 * A takeover in one statement ($1 document, $2 the epoch seen, $3 region, $4 node, $5 now, $6
 * heartbeat cutoff). Concurrent takeovers queue on the row; the later one re-checks the epoch on
 * the row the earlier committed, finds it moved on and changes nothing. The parts after the
 * UPDATE act only on the row it moved: the epoch record and the dead nodes' connection rows.
 */
const takeOverRoute = {
  name: 'routing_take_over',
  text: `WITH live AS (SELECT node_id, region FROM nodes WHERE heartbeat_at >= $6::bigint),
         taken AS (
           UPDATE document_routing r SET region = $3::text, node_id = $4::text, pinned_at = $5::bigint, epoch = r.epoch + 1
           WHERE r.doc_key = $1::text AND r.epoch = $2::bigint AND r.region <> $3::text
             AND NOT EXISTS (SELECT 1 FROM live WHERE live.region = r.region)
           RETURNING r.doc_key, r.tenant_id, r.region, r.node_id, r.pinned_at, r.epoch),
         recorded AS (
           INSERT INTO document_epochs AS e (doc_key, epoch) SELECT doc_key, epoch FROM taken
           ON CONFLICT (doc_key) DO UPDATE SET epoch = greatest(e.epoch, EXCLUDED.epoch)),
         cleared AS (
           DELETE FROM active_sessions a USING taken t
           WHERE a.doc_key = t.doc_key AND a.node_id NOT IN (SELECT node_id FROM live))
         SELECT * FROM taken`,
};

/** A board's row ($1 key, $2 region, $3 node, $4 now), with no tenant (so outside every quota), and its epoch recorded. */
const pinBoard = {
  name: 'routing_pin_board',
  text: `WITH inserted AS (
           INSERT INTO document_routing (doc_key, tenant_id, region, node_id, pinned_at, epoch)
           SELECT $1::text, '', $2::text, $3::text, $4::bigint,
             coalesce((SELECT e.epoch FROM document_epochs e WHERE e.doc_key = $1::text), 0) + 1
           ON CONFLICT (doc_key) DO NOTHING
           RETURNING doc_key, tenant_id, region, node_id, pinned_at, epoch),
         recorded AS (
           INSERT INTO document_epochs AS e (doc_key, epoch) SELECT doc_key, epoch FROM inserted
           ON CONFLICT (doc_key) DO UPDATE SET epoch = greatest(e.epoch, EXCLUDED.epoch))
         SELECT * FROM inserted`,
};

/**
 * The beat refreshes the row, or inserts it when missing, in one statement: the answer says
 * whether the row was there, since a missing row means other nodes reaped this one.
 */
const heartbeat = {
  name: 'routing_heartbeat',
  text: `WITH updated AS (
           UPDATE nodes SET region = $2::text, url = $3::text, heartbeat_at = $4::bigint WHERE node_id = $1::text RETURNING 1),
         inserted AS (
           INSERT INTO nodes (node_id, region, url, heartbeat_at)
           SELECT $1::text, $2::text, $3::text, $4::bigint WHERE NOT EXISTS (SELECT 1 FROM updated)
           ON CONFLICT (node_id) DO UPDATE SET
             region = EXCLUDED.region, url = EXCLUDED.url, heartbeat_at = EXCLUDED.heartbeat_at)
         SELECT EXISTS (SELECT 1 FROM updated) AS found`,
};
const selectLiveNodes = 'SELECT node_id FROM nodes WHERE heartbeat_at >= $1 ORDER BY node_id';
const selectLiveNodeRecords = 'SELECT node_id, region, url FROM nodes WHERE heartbeat_at >= $1 ORDER BY node_id';

/**
 * Reaping in one statement ($1 cutoff, $2 the caller's id). The DELETE of the stale node rows
 * comes first and decides who reaps: a concurrent reaper's DELETE waits on those rows, finds
 * them gone and reaps nothing. The other parts read the statement's snapshot, from before any of
 * its deletes: the orphans are the pinned documents a reaped node pinned or had connections to
 * and that no connection of any other node uses; then the reaped nodes' connections go.
 */
const reapStaleNodes = `
  WITH reaped AS (
    DELETE FROM nodes n WHERE n.heartbeat_at < $1 AND n.node_id <> $2 RETURNING n.node_id, n.heartbeat_at),
  orphans AS (
    SELECT r.doc_key, max(g.heartbeat_at) AS last_heartbeat
    FROM document_routing r
    JOIN (SELECT doc_key, node_id FROM active_sessions UNION SELECT doc_key, node_id FROM document_routing) used
      ON used.doc_key = r.doc_key
    JOIN reaped g ON g.node_id = used.node_id
    WHERE NOT EXISTS (
      SELECT 1 FROM active_sessions a WHERE a.doc_key = r.doc_key AND a.node_id NOT IN (SELECT node_id FROM reaped))
    GROUP BY r.doc_key),
  cleared AS (
    DELETE FROM active_sessions a USING reaped g WHERE a.node_id = g.node_id)
  SELECT 'node' AS kind, node_id AS id, heartbeat_at FROM reaped
  UNION ALL
  SELECT 'orphan', doc_key, last_heartbeat FROM orphans`;

/**
 * RoutingTable on PostgreSQL: one database shared by every node, each through its own pool.
 * Each method is one statement, so one round trip and one transaction; the multi-step ones
 * (batches, the conditional unpin, removing a node) call functions (postgresRoutingFunctions.ts).
 * The table owns the database it is given: `close()` closes it.
 */
export class PostgresRoutingTable implements RoutingTable {
  constructor(
    private readonly database: PostgresControlDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  private get pool() {
    return this.database.pool;
  }

  async getRoute(docKey: string): Promise<DocumentRoute | null> {
    const result = await this.pool.query<PostgresRow>({ ...selectRoute, values: [docKey] });
    const row = result.rows[0];
    return row === undefined ? null : routeFromRow(row);
  }

  async countTenantDocuments(tenantId: string): Promise<number> {
    const result = await this.pool.query<PostgresRow>(countTenantRoutes, [tenantId]);
    return intColumn(result.rows[0], 'n');
  }

  async pinDocument(route: NewDocumentRoute): Promise<PinResult> {
    const [result] = await this.runBatch([{ kind: 'pin', route }]);
    if (result.kind !== 'pin') throw new Error('routing table: a pin answered as something else');
    return result.result;
  }

  /** A refused takeover reads the row again: the statement's own snapshot may predate the winner's commit. */
  async takeOverRoute({ docKey, fromEpoch, region, nodeId, nodeTimeoutMs }: RouteTakeover): Promise<TakeoverResult> {
    const now = this.now();
    const result = await this.pool.query<PostgresRow>({ ...takeOverRoute, values: [docKey, fromEpoch, region, nodeId, now, now - nodeTimeoutMs] });
    const row = result.rows[0];
    if (row !== undefined) return { kind: 'taken', route: routeFromRow(row) };
    return { kind: 'refused', route: await this.getRoute(docKey) };
  }

  /** Pinned before (or concurrently): the row as it stands, read after the statement (its snapshot may predate the other's commit). */
  async pinBoard({ docKey, region, nodeId }: Omit<NewDocumentRoute, 'tenantId'>): Promise<DocumentRoute> {
    const result = await this.pool.query<PostgresRow>({ ...pinBoard, values: [docKey, region, nodeId, this.now()] });
    const row = result.rows[0];
    const route = row === undefined ? await this.getRoute(docKey) : routeFromRow(row);
    if (route === null) throw new Error('routing table: a board pin left no row');
    return route;
  }

  async unpinDocument(docKey: string, ended?: OutboxEvent): Promise<boolean> {
    if (ended === undefined) {
      const result = await this.pool.query(deleteRoute, [docKey]);
      return (result.rowCount ?? 0) > 0;
    }
    const result = await this.pool.query<PostgresRow>(deleteRouteAnnouncing, [...outboxValues(ended), docKey]);
    return result.rows[0]?.unpinned === true;
  }

  async unpinIfUnused(docKey: string, ended?: OutboxEvent): Promise<boolean> {
    const result =
      ended === undefined
        ? await this.pool.query<PostgresRow>({ ...unpinIfUnused, values: [docKey] })
        : await this.pool.query<PostgresRow>(unpinIfUnusedAnnouncing, [...outboxValues(ended), docKey]);
    return result.rows[0]?.unpinned === true;
  }

  /** One function call: one transaction, one round trip, whatever the batch holds. */
  async runBatch(operations: readonly RoutingOperation[]): Promise<RoutingOperationResult[]> {
    if (operations.length === 0) return [];
    const result = await this.pool.query<PostgresRow>({ ...runBatch, values: batchArguments(operations, this.now()) });
    return batchResults(operations, result.rows);
  }

  async addConnection(connection: ActiveConnection): Promise<void> {
    await this.runBatch([{ kind: 'add-connection', connection }]);
  }

  async removeConnection(connectionId: string): Promise<void> {
    await this.runBatch([{ kind: 'remove-connection', connectionId }]);
  }

  async countConnections(docKey: string): Promise<number> {
    const result = await this.pool.query<PostgresRow>({ ...countConnections, values: [docKey] });
    return intColumn(result.rows[0], 'n');
  }

  async listDocuments(prefix: string, afterKey: string | null, limit: number): Promise<ListedDocument[]> {
    const query = afterKey === null ? listRoutesFrom : listRoutesAfter;
    const result = await this.pool.query<PostgresRow>({ ...query, values: [afterKey ?? prefix, prefixEnd(prefix), limit] });
    return result.rows.map((row) => ({ ...routeFromRow(row), connections: intColumn(row, 'connections') }));
  }

  async heartbeat(node: NodeRecord): Promise<boolean> {
    const values = [node.nodeId, node.region, node.url, this.now()];
    const result = await this.pool.query<PostgresRow>({ ...heartbeat, values });
    return result.rows[0]?.found === true;
  }

  async reapStaleNodes(timeoutMs: number, selfId: string): Promise<ReapedNodes> {
    const now = this.now();
    const result = await this.pool.query<PostgresRow>(reapStaleNodes, [now - timeoutMs, selfId]);
    const reaped: ReapedNodes = { nodeIds: [], orphans: [] };
    for (const row of result.rows) {
      const id = textColumn(row, 'id');
      if (row.kind === 'node') reaped.nodeIds.push(id);
      else reaped.orphans.push({ docKey: id, silentForMs: now - intColumn(row, 'heartbeat_at') });
    }
    return reaped;
  }

  async liveNodeIds(timeoutMs: number): Promise<string[]> {
    const result = await this.pool.query<PostgresRow>(selectLiveNodes, [this.now() - timeoutMs]);
    return result.rows.map((row) => textColumn(row, 'node_id'));
  }

  async liveNodes(timeoutMs: number): Promise<NodeRecord[]> {
    const result = await this.pool.query<PostgresRow>(selectLiveNodeRecords, [this.now() - timeoutMs]);
    return result.rows.map((row) => ({ nodeId: textColumn(row, 'node_id'), region: textColumn(row, 'region'), url: textColumn(row, 'url') }));
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.pool.query('SELECT routing_remove_node($1)', [nodeId]);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}

function routeFromRow(row: PostgresRow): DocumentRoute {
  return {
    docKey: textColumn(row, 'doc_key'),
    tenantId: textColumn(row, 'tenant_id'),
    region: textColumn(row, 'region'),
    nodeId: textColumn(row, 'node_id'),
    pinnedAt: intColumn(row, 'pinned_at'),
    epoch: intColumn(row, 'epoch'),
  };
}
