import { intColumn, textColumn, type PostgresControlDatabase, type PostgresRow } from '../routing/index.js';
import { foldSessionRows, nodesSql, sessionPageSql, tenantCountsSql, type ClusterOverview, type NodeRow, type PinnedSession, type SessionKind } from './clusterOverview.js';

/** ClusterOverview on the PostgreSQL control schema. */
export class PostgresClusterOverview implements ClusterOverview {
  constructor(private readonly database: PostgresControlDatabase) {}

  async sessions(kind: SessionKind, limit: number): Promise<PinnedSession[]> {
    const result = await this.database.pool.query<PostgresRow>(sessionPageSql(kind).replace('?', '$1'), [limit]);
    return foldSessionRows(
      result.rows.map((row) => ({
        routeKey: textColumn(row, 'doc_key'),
        region: textColumn(row, 'region'),
        nodeId: textColumn(row, 'node_id'),
        pinnedAt: intColumn(row, 'pinned_at'),
        connectedNode: row.connected_node === null ? null : textColumn(row, 'connected_node'),
        connections: intColumn(row, 'connections'),
        lastConnectAt: row.last_connect_at === null ? null : intColumn(row, 'last_connect_at'),
      })),
    );
  }

  async nodes(): Promise<NodeRow[]> {
    const result = await this.database.pool.query<PostgresRow>(nodesSql);
    return result.rows.map((row) => ({
      nodeId: textColumn(row, 'node_id'),
      region: textColumn(row, 'region'),
      url: textColumn(row, 'url'),
      heartbeatAt: intColumn(row, 'heartbeat_at'),
      connections: intColumn(row, 'connections'),
    }));
  }

  async liveDocumentsPerTenant(): Promise<Map<string, number>> {
    const result = await this.database.pool.query<PostgresRow>(tenantCountsSql);
    return new Map(result.rows.map((row) => [textColumn(row, 'tenant_id'), intColumn(row, 'n')]));
  }
}
