import type { InStatement, ResultSet } from '@libsql/client';
import { rowNumber, rowString } from './libsqlDatabase.js';
import { insertRouteWithinQuota, pinOutcome, recordEpochs, routeColumns, routeFromRow } from './libsqlRoutingSql.js';
import type { CreationCheck, DocumentRoute, RoutingOperation, RoutingOperationResult } from './routingTable.js';

/**
 * A run of consecutive operations of one kind shares its statements. 400 rows of 5 values stay
 * far below SQLite's 32,766 bound parameters, and keep one statement's text small.
 */
export const maxOperationsPerStatement = 400;

/** The statements of a batch and how to read each operation's answer from their results. */
export interface BatchPlan {
  statements: InStatement[];
  answer(results: readonly ResultSet[]): RoutingOperationResult[];
}

interface PlannedRun {
  statements: InStatement[];
  answer(results: readonly ResultSet[]): RoutingOperationResult[];
}

/**
 * Plans `RoutingTable.runBatch` on libSQL (issue 14, connect storms): 5,000 connects to 1,000
 * documents made about 11,000 statements, and the client prepares every statement of a batch
 * anew (a third of the batch's time). Consecutive operations of one kind now share statements:
 * one multi-row upsert for a run of added connections, one `IN` delete for removals, one grouped
 * count, three reads for a run of creation checks, and for a run of pins each conditional insert
 * (so each stays atomic with its quota check, counting the pins before it) followed by one
 * epoch record and two reads.
 * Only neighbours merge, so every operation still sees exactly the rows of those before it.
 */
export function planBatch(operations: readonly RoutingOperation[], now: number): BatchPlan {
  const runs = consecutiveRuns(operations).map((run) => planRun(run, now));
  return {
    statements: runs.flatMap((run) => run.statements),
    answer: (results) => {
      let next = 0;
      return runs.flatMap((run) => run.answer(results.slice(next, (next += run.statements.length))));
    },
  };
}

function consecutiveRuns(operations: readonly RoutingOperation[]): RoutingOperation[][] {
  const runs: RoutingOperation[][] = [];
  let current: RoutingOperation[] = [];
  for (const operation of operations) {
    if (current.length > 0 && (current[0].kind !== operation.kind || current.length >= maxOperationsPerStatement)) {
      runs.push(current);
      current = [];
    }
    current.push(operation);
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

function planRun(run: RoutingOperation[], now: number): PlannedRun {
  switch (run[0].kind) {
    case 'add-connection':
      return writeRun(upsertConnections(run as AddConnection[], now), run.length);
    case 'remove-connection':
      return writeRun(deleteConnections(run as RemoveConnection[]), run.length);
    case 'count-connections':
      return countRun(run as CountConnections[]);
    case 'creation-check':
      return creationCheckRun(run as CreationCheckOperation[]);
    case 'pin':
      return pinRun(run as PinOperation[], now);
  }
}

type AddConnection = Extract<RoutingOperation, { kind: 'add-connection' }>;
type RemoveConnection = Extract<RoutingOperation, { kind: 'remove-connection' }>;
type CountConnections = Extract<RoutingOperation, { kind: 'count-connections' }>;
type CreationCheckOperation = Extract<RoutingOperation, { kind: 'creation-check' }>;
type PinOperation = Extract<RoutingOperation, { kind: 'pin' }>;

function writeRun(statement: InStatement, operations: number): PlannedRun {
  return { statements: [statement], answer: () => Array.from({ length: operations }, () => ({ kind: 'done' }) as const) };
}

/** Rows go in the order given; a connection id twice in one run is inserted, then updated. */
function upsertConnections(run: AddConnection[], now: number): InStatement {
  const args = run.flatMap(({ connection }) => [connection.connectionId, connection.docKey, connection.nodeId, connection.userId, now]);
  return {
    sql: `INSERT INTO active_sessions (connection_id, doc_key, node_id, user_id, connected_at)
      VALUES ${placeholders(run.length, 5)}
      ON CONFLICT (connection_id) DO UPDATE SET
        doc_key = excluded.doc_key, node_id = excluded.node_id,
        user_id = excluded.user_id, connected_at = excluded.connected_at`,
    args,
  };
}

function deleteConnections(run: RemoveConnection[]): InStatement {
  return { sql: `DELETE FROM active_sessions WHERE connection_id IN (${placeholders(run.length, 1)})`, args: run.map((operation) => operation.connectionId) };
}

function countRun(run: CountConnections[]): PlannedRun {
  const docKeys = distinct(run.map((operation) => operation.docKey));
  const statement = {
    sql: `SELECT doc_key, COUNT(*) AS n FROM active_sessions WHERE doc_key IN (${placeholders(docKeys.length, 1)}) GROUP BY doc_key`,
    args: docKeys,
  };
  return {
    statements: [statement],
    answer: ([counts]) => {
      const byDocument = numbersBy(counts, 'doc_key', 'n');
      return run.map((operation) => ({ kind: 'count', count: byDocument.get(operation.docKey) ?? 0 }));
    },
  };
}

function creationCheckRun(run: CreationCheckOperation[]): PlannedRun {
  const docKeys = distinct(run.map((operation) => operation.docKey));
  const tenantIds = distinct(run.map((operation) => operation.tenantId));
  const statements = [
    routesIn(docKeys),
    tenantLimitsIn(tenantIds),
    {
      sql: `SELECT tenant_id, COUNT(*) AS n FROM document_routing WHERE tenant_id IN (${placeholders(tenantIds.length, 1)}) GROUP BY tenant_id`,
      args: tenantIds,
    },
  ];
  return {
    statements,
    answer: ([routes, tenants, live]) => {
      const routeOf = routesBy(routes);
      const limitOf = numbersBy(tenants, 'tenant_id', 'max_documents');
      const regionsOf = new Map(tenants.rows.map((row) => [rowString(row, 'tenant_id'), row.allowed_regions]));
      const liveOf = numbersBy(live, 'tenant_id', 'n');
      return run.map(({ docKey, tenantId }): RoutingOperationResult => {
        const check: CreationCheck = {
          route: routeOf.get(docKey) ?? null,
          maxDocuments: limitOf.get(tenantId) ?? null,
          liveDocuments: liveOf.get(tenantId) ?? 0,
          allowedRegions: allowedRegionsOf(regionsOf.get(tenantId)),
        };
        return { kind: 'creation-check', check };
      });
    },
  };
}

/**
 * Each insert checks the quota against the rows of the pins before it (same transaction); the
 * reads after the run see what the run pinned, which is what each pin's own read would have seen:
 * a later pin of the run never changes an earlier one's route, and never frees quota.
 */
function pinRun(run: PinOperation[], now: number): PlannedRun {
  const docKeys = distinct(run.map((operation) => operation.route.docKey));
  const tenantIds = distinct(run.map((operation) => operation.route.tenantId));
  const inserts = run.map(({ route }) => insertStatement(route, now));
  const statements = [
    ...inserts,
    { sql: recordEpochs(docKeys.length), args: docKeys },
    routesIn(docKeys),
    tenantLimitsIn(tenantIds),
  ];
  return {
    statements,
    answer: (results) => {
      const routeOf = routesBy(results[run.length + 1]);
      const tenantRows = new Map(results[run.length + 2].rows.map((row) => [rowString(row, 'tenant_id'), row]));
      return run.map(({ route }, index): RoutingOperationResult => ({
        kind: 'pin',
        result: pinOutcome(results[index].rowsAffected, routeOf.get(route.docKey) ?? null, tenantRows.get(route.tenantId) ?? null),
      }));
    },
  };
}

function insertStatement(route: PinOperation['route'], now: number): InStatement {
  const { docKey, tenantId, region, nodeId } = route;
  return { sql: insertRouteWithinQuota, args: [docKey, tenantId, region, nodeId, now] };
}

function routesIn(docKeys: string[]): InStatement {
  return { sql: `SELECT ${routeColumns} FROM document_routing WHERE doc_key IN (${placeholders(docKeys.length, 1)})`, args: docKeys };
}

function tenantLimitsIn(tenantIds: string[]): InStatement {
  return { sql: `SELECT tenant_id, max_documents, allowed_regions FROM tenants WHERE tenant_id IN (${placeholders(tenantIds.length, 1)})`, args: tenantIds };
}

/** The comma-joined column (tenancy/registryArguments.ts writes it); NULL: anywhere. */
function allowedRegionsOf(value: unknown): string[] | null {
  return typeof value === 'string' && value.length > 0 ? value.split(',') : null;
}

function placeholders(rows: number, columns: number): string {
  const row = columns === 1 ? '?' : `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => row).join(', ');
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

function routesBy(result: ResultSet): Map<string, DocumentRoute> {
  return new Map(result.rows.map((row) => [rowString(row, 'doc_key'), routeFromRow(row)]));
}

function numbersBy(result: ResultSet, keyColumn: string, valueColumn: string): Map<string, number> {
  return new Map(result.rows.map((row) => [rowString(row, keyColumn), rowNumber(row, valueColumn)]));
}

