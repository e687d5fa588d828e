import { intColumn, textColumn, type PostgresRow } from './postgresColumns.js';
import type { DocumentRoute, PinResult, RoutingOperation, RoutingOperationResult } from './routingTable.js';

/**
 * The wire form of `routing_run_batch` (postgresRoutingFunctions.ts): one array of kinds and four
 * of arguments, all of the batch's length, then the clock. Arrays travel as single parameters,
 * so a batch of any size is one statement of fixed text, parsed and planned once per connection.
 */
export function batchArguments(operations: readonly RoutingOperation[], now: number): unknown[] {
  const kinds: string[] = [];
  const columns: (string | null)[][] = [[], [], [], []];
  for (const operation of operations) {
    kinds.push(operation.kind);
    argumentsOf(operation).forEach((value, index) => columns[index].push(value));
  }
  return [kinds, ...columns, now];
}

function argumentsOf(operation: RoutingOperation): [string | null, string | null, string | null, string | null] {
  switch (operation.kind) {
    case 'add-connection': {
      const { connectionId, docKey, nodeId, userId } = operation.connection;
      return [connectionId, docKey, nodeId, userId];
    }
    case 'remove-connection':
      return [operation.connectionId, null, null, null];
    case 'count-connections':
      return [operation.docKey, null, null, null];
    case 'creation-check':
      return [operation.docKey, operation.tenantId, null, null];
    case 'pin': {
      const { docKey, tenantId, region, nodeId } = operation.route;
      return [docKey, tenantId, region, nodeId];
    }
  }
}

/** One answer per operation, at its index: adds and removals answer no row (they are done). */
export function batchResults(operations: readonly RoutingOperation[], rows: readonly PostgresRow[]): RoutingOperationResult[] {
  const rowAt = new Map(rows.map((row) => [intColumn(row, 'r_op'), row]));
  return operations.map((operation, index): RoutingOperationResult => {
    if (operation.kind === 'add-connection' || operation.kind === 'remove-connection') return { kind: 'done' };
    const row = rowAt.get(index);
    if (row === undefined) throw new Error(`routing_run_batch answered nothing for operation ${index} (${operation.kind})`);
    return resultOf(operation.kind, row);
  });
}

function resultOf(kind: 'count-connections' | 'creation-check' | 'pin', row: PostgresRow): RoutingOperationResult {
  switch (kind) {
    case 'count-connections':
      return { kind: 'count', count: intColumn(row, 'r_amount') };
    case 'creation-check':
      return {
        kind: 'creation-check',
        check: {
          route: routeOf(row),
          maxDocuments: row.r_max_documents === null ? null : intColumn(row, 'r_max_documents'),
          liveDocuments: intColumn(row, 'r_amount'),
          allowedRegions: typeof row.r_allowed_regions === 'string' && row.r_allowed_regions.length > 0 ? row.r_allowed_regions.split(',') : null,
        },
      };
    case 'pin':
      return { kind: 'pin', result: pinResultOf(row) };
  }
}

function pinResultOf(row: PostgresRow): PinResult {
  const outcome = textColumn(row, 'r_outcome');
  switch (outcome) {
    case 'pinned':
    case 'existing':
      return { kind: outcome, route: requiredRoute(row) };
    case 'quota-exceeded':
      return { kind: outcome, maxDocuments: intColumn(row, 'r_max_documents') };
    case 'unknown-tenant':
      return { kind: outcome };
    default:
      throw new Error(`routing_pin answered ${JSON.stringify(outcome)}`);
  }
}

function requiredRoute(row: PostgresRow): DocumentRoute {
  const route = routeOf(row);
  if (route === null) throw new Error('routing_pin answered a pin without its route');
  return route;
}

/** The route columns of a result row; null when the document has no route. */
function routeOf(row: PostgresRow): DocumentRoute | null {
  if (row.r_doc_key === null) return null;
  return {
    docKey: textColumn(row, 'r_doc_key'),
    tenantId: textColumn(row, 'r_tenant_id'),
    region: textColumn(row, 'r_region'),
    nodeId: textColumn(row, 'r_node_id'),
    pinnedAt: intColumn(row, 'r_pinned_at'),
    epoch: intColumn(row, 'r_epoch'),
  };
}
