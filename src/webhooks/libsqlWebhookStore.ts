import type { InStatement, Row } from '@libsql/client';
import { libsqlOutboxStatements, rowNumber, rowString, type LibsqlDatabase, type OutboxEvent } from '../routing/index.js';
import {
  eventsColumn,
  eventsFromColumn,
  type AppName,
  type ClaimedDelivery,
  type DeliveryClaim,
  type DeliveryRecord,
  type EndpointSubscription,
  type FinishedAttempt,
  type NewWebhookEndpoint,
  type RetryResult,
  type WebhookEndpoint,
  type WebhookStore,
} from './webhookStore.js';
import { deliveryFromRow, endpointColumns, endpointFromRow, type ColumnReader } from './webhookRows.js';

const deliveryColumns = `d.delivery_id, d.event_id, v.event_type, d.status, d.attempts, d.next_attempt_at,
  d.last_status, d.last_error, d.created_at, d.updated_at`;

/**
 * Leases due deliveries (?1 now, ?2 owner, ?3 lease end, ?4 per-endpoint bound, ?5 limit). Inside
 * a write batch no other process claims between the read and the update. `busy` counts the
 * endpoint's deliveries leased right now (any node's), so the bound holds cluster-wide.
 */
const claimDue = `
  UPDATE webhook_deliveries SET lease_owner = ?2, lease_until = ?3
  WHERE delivery_id IN (
    SELECT delivery_id FROM (
      SELECT d.delivery_id, d.next_attempt_at,
        ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.delivery_id) AS place,
        (SELECT COUNT(*) FROM webhook_deliveries l
          WHERE l.endpoint_id = d.endpoint_id AND l.status = 'pending' AND l.lease_until > ?1) AS busy
      FROM webhook_deliveries d JOIN webhook_endpoints e ON e.endpoint_id = d.endpoint_id AND e.enabled = 1
      WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND (d.lease_until IS NULL OR d.lease_until <= ?1))
    WHERE place + busy <= ?4
    ORDER BY next_attempt_at LIMIT ?5)`;
const selectClaimed = `
  SELECT d.delivery_id, d.endpoint_id, e.url, e.secret, v.event_type, v.data, v.created_at AS event_created_at,
    d.attempts, d.schedule_start_at
  FROM webhook_deliveries d
  JOIN webhook_endpoints e ON e.endpoint_id = d.endpoint_id
  JOIN webhook_events v ON v.event_id = d.event_id
  WHERE d.lease_owner = ?1 AND d.status = 'pending'
  ORDER BY d.next_attempt_at`;
const anyDue = `SELECT 1 FROM webhook_deliveries
  WHERE status = 'pending' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) LIMIT 1`;
/** Only the lease's owner records its attempt (?1 id, ?2 owner, ?3 status, ?4 next, ?5 http, ?6 error, ?7 now). */
const finishAttempt = `
  UPDATE webhook_deliveries SET status = ?3, attempts = attempts + 1, next_attempt_at = ?4, last_status = ?5,
    last_error = ?6, lease_owner = NULL, lease_until = NULL, updated_at = ?7
  WHERE delivery_id = ?1 AND lease_owner = ?2`;

/** WebhookStore on the control store's libSQL database (its migration 4 made the tables). */
export class LibsqlWebhookStore implements WebhookStore {
  constructor(private readonly database: LibsqlDatabase) {}

  private get client() {
    return this.database.client;
  }

  async addEndpoint(endpoint: NewWebhookEndpoint): Promise<void> {
    await this.client.execute({
      sql: `INSERT INTO webhook_endpoints (endpoint_id, tenant_id, app_id, url, secret, events, enabled, disabled_reason, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 1, NULL, ?)`,
      args: [endpoint.endpointId, endpoint.tenantId, endpoint.appId, endpoint.url, endpoint.secret, eventsColumn(endpoint.events), endpoint.createdAt],
    });
  }

  async listEndpoints(app?: AppName): Promise<WebhookEndpoint[]> {
    const result =
      app === undefined
        ? await this.client.execute(`SELECT ${endpointColumns} FROM webhook_endpoints ORDER BY tenant_id, app_id, created_at, endpoint_id`)
        : await this.client.execute({
            sql: `SELECT ${endpointColumns} FROM webhook_endpoints WHERE tenant_id = ? AND app_id = ? ORDER BY created_at, endpoint_id`,
            args: [app.tenantId, app.appId],
          });
    return result.rows.map((row) => endpointFromRow(libsqlColumns(row)));
  }

  async removeEndpoint(endpointId: string): Promise<boolean> {
    const [, removed] = await this.client.batch(
      [
        { sql: 'DELETE FROM webhook_deliveries WHERE endpoint_id = ?', args: [endpointId] },
        { sql: 'DELETE FROM webhook_endpoints WHERE endpoint_id = ?', args: [endpointId] },
        'DELETE FROM webhook_events WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.event_id)',
      ],
      'write',
    );
    return removed.rowsAffected > 0;
  }

  async subscriptions(): Promise<EndpointSubscription[]> {
    const result = await this.client.execute('SELECT tenant_id, app_id, events FROM webhook_endpoints WHERE enabled = 1');
    return result.rows.map((row) => ({ tenantId: rowString(row, 'tenant_id'), appId: rowString(row, 'app_id'), events: eventsFromColumn(rowString(row, 'events')) }));
  }

  async enqueue(event: OutboxEvent): Promise<number> {
    const results = await this.client.batch(libsqlOutboxStatements(event), 'write');
    return results[1].rowsAffected;
  }

  async claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    // A read first, so the usual answer of an idle outbox (nothing due) takes no write lock on a
    // file every node and command shares; the write batch then decides under the lock.
    const due = await this.client.execute({ sql: anyDue, args: [claim.now] });
    if (due.rows.length === 0) return [];
    const [, claimed] = await this.client.batch(
      [
        { sql: claimDue, args: [claim.now, claim.owner, claim.now + claim.leaseMs, claim.maxPerEndpoint, claim.limit] },
        { sql: selectClaimed, args: [claim.owner] },
      ],
      'write',
    );
    return claimed.rows.map((row) => ({
      deliveryId: rowString(row, 'delivery_id'),
      endpointId: rowString(row, 'endpoint_id'),
      url: rowString(row, 'url'),
      secret: rowString(row, 'secret'),
      eventType: rowString(row, 'event_type'),
      data: rowString(row, 'data'),
      eventCreatedAt: rowNumber(row, 'event_created_at'),
      attempts: rowNumber(row, 'attempts'),
      scheduleStartAt: rowNumber(row, 'schedule_start_at'),
      owner: claim.owner,
    }));
  }

  async releaseLeasesOf(nodeId: string): Promise<number> {
    const result = await this.client.execute({
      sql: `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL
        WHERE lease_owner IS NOT NULL AND substr(lease_owner, 1, length(?1)) = ?1`,
      args: [`${nodeId}/`],
    });
    return result.rowsAffected;
  }

  async finishAttempt(attempt: FinishedAttempt): Promise<boolean> {
    const { outcome } = attempt;
    const nextAttemptAt = outcome.kind === 'retry' ? outcome.nextAttemptAt : attempt.now;
    const error = outcome.kind === 'delivered' ? null : outcome.error;
    const statements: InStatement[] = [
      {
        sql: finishAttempt,
        args: [attempt.deliveryId, attempt.owner, outcome.kind === 'retry' ? 'pending' : outcome.kind, nextAttemptAt, outcome.status, error, attempt.now],
      },
    ];
    if (attempt.disableEndpoint !== undefined) {
      statements.push(
        { sql: 'UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2 WHERE endpoint_id = ?1', args: [attempt.endpointId, attempt.disableEndpoint] },
        // Nothing more goes to it: what waited for it fails with it (and can be pruned in time).
        {
          sql: `UPDATE webhook_deliveries SET status = 'failed', last_error = ?2, lease_owner = NULL, lease_until = NULL, updated_at = ?3
            WHERE endpoint_id = ?1 AND status = 'pending'`,
          args: [attempt.endpointId, `endpoint disabled: ${attempt.disableEndpoint}`, attempt.now],
        },
      );
    }
    const [finished] = await this.client.batch(statements, 'write');
    return finished.rowsAffected > 0;
  }

  async listDeliveries(endpointId: string, options: { failedOnly: boolean; limit: number }): Promise<DeliveryRecord[]> {
    const result = await this.client.execute({
      sql: `SELECT ${deliveryColumns} FROM webhook_deliveries d JOIN webhook_events v ON v.event_id = d.event_id
        WHERE d.endpoint_id = ? ${options.failedOnly ? "AND d.status = 'failed'" : ''}
        ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT ?`,
      args: [endpointId, options.limit],
    });
    return result.rows.map((row) => deliveryFromRow(libsqlColumns(row)));
  }

  async pruneFinished(before: number): Promise<number> {
    const [pruned] = await this.client.batch(
      [
        { sql: "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < ?", args: [before] },
        'DELETE FROM webhook_events WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.event_id)',
      ],
      'write',
    );
    return pruned.rowsAffected;
  }

  async retryDelivery(deliveryId: string, now: number): Promise<RetryResult> {
    const [updated, found] = await this.client.batch(
      [
        {
          sql: `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?2, schedule_start_at = ?2,
              lease_owner = NULL, lease_until = NULL, updated_at = ?2
            WHERE delivery_id = ?1
              AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.endpoint_id = webhook_deliveries.endpoint_id AND e.enabled = 1)`,
          args: [deliveryId, now],
        },
        { sql: 'SELECT 1 FROM webhook_deliveries WHERE delivery_id = ?', args: [deliveryId] },
      ],
      'write',
    );
    if (updated.rowsAffected > 0) return 'due';
    return found.rows.length > 0 ? 'endpoint-disabled' : 'unknown';
  }
}

function libsqlColumns(row: Row): ColumnReader {
  return {
    text: (column) => rowString(row, column),
    int: (column) => rowNumber(row, column),
    flag: (column) => rowNumber(row, column) === 1,
    isNull: (column) => row[column] === null,
  };
}
