import type { Row } from '@libsql/client';
import { rowNumber, rowString, type LibsqlDatabase } from '../routing/index.js';
import { foldSessionRows, nodesSql, sessionPageSql, tenantCountsSql, type ClusterOverview, type NodeRow, type PinnedSession, type SessionKind } from './clusterOverview.js';

/** ClusterOverview on the control store's libSQL database. */
export class LibsqlClusterOverview implements ClusterOverview {
  constructor(private readonly database: LibsqlDatabase) {}

  async sessions(kind: SessionKind, limit: number): Promise<PinnedSession[]> {
    const result = await this.database.client.execute({ sql: sessionPageSql(kind), args: [limit] });
    return foldSessionRows(
      result.rows.map((row) => ({
        routeKey: rowString(row, 'doc_key'),
        region: rowString(row, 'region'),
        nodeId: rowString(row, 'node_id'),
        pinnedAt: rowNumber(row, 'pinned_at'),
        connectedNode: nullableString(row, 'connected_node'),
        connections: rowNumber(row, 'connections'),
        lastConnectAt: row.last_connect_at === null ? null : rowNumber(row, 'last_connect_at'),
      })),
    );
  }

  async nodes(): Promise<NodeRow[]> {
    const result = await this.database.client.execute(nodesSql);
    return result.rows.map((row) => ({
      nodeId: rowString(row, 'node_id'),
      region: rowString(row, 'region'),
      url: rowString(row, 'url'),
      heartbeatAt: rowNumber(row, 'heartbeat_at'),
      connections: rowNumber(row, 'connections'),
    }));
  }

  async liveDocumentsPerTenant(): Promise<Map<string, number>> {
    const result = await this.database.client.execute(tenantCountsSql);
    return new Map(result.rows.map((row) => [rowString(row, 'tenant_id'), rowNumber(row, 'n')]));
  }
}

function nullableString(row: Row, column: string): string | null {
  return row[column] === null ? null : rowString(row, column);
}
