import {
  intColumn,
  postgresOutboxStatement,
  postgresOutboxValues,
  textColumn,
  type OutboxEvent,
  type PostgresControlDatabase,
  type PostgresRow,
} from '../routing/index.js';
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


/** Claims of all nodes queue on this lock for the few milliseconds of one claim, so the per-endpoint bound is exact. */
const claimLock = `SELECT pg_advisory_xact_lock(hashtext('wiresocket webhook claim'))`;
/** As on libSQL ($1 now, $2 owner, $3 lease end, $4 per-endpoint bound, $5 limit). */
const claimDue = `
  WITH due AS (
    SELECT d.delivery_id, d.next_attempt_at,
      row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.delivery_id) AS place,
      (SELECT count(*) FROM webhook_deliveries l
        WHERE l.endpoint_id = d.endpoint_id AND l.status = 'pending' AND l.lease_until > $1) AS busy
    FROM webhook_deliveries d JOIN webhook_endpoints e ON e.endpoint_id = d.endpoint_id AND e.enabled
    WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1)),
  picked AS (SELECT delivery_id FROM due WHERE place + busy <= $4 ORDER BY next_attempt_at LIMIT $5)
  UPDATE webhook_deliveries d SET lease_owner = $2, lease_until = $3
  FROM picked, webhook_endpoints e, webhook_events v
  WHERE d.delivery_id = picked.delivery_id AND e.endpoint_id = d.endpoint_id AND v.event_id = d.event_id
  RETURNING d.delivery_id, d.endpoint_id, e.url, e.secret, v.event_type, v.data, v.created_at AS event_created_at,
    d.attempts, d.schedule_start_at, d.next_attempt_at`;
const anyDue = `SELECT 1 FROM webhook_deliveries
  WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1`;
const finishAttempt = `
  UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, next_attempt_at = $4, last_status = $5,
    last_error = $6, lease_owner = NULL, lease_until = NULL, updated_at = $7
  WHERE delivery_id = $1 AND lease_owner = $2`;

/** WebhookStore on the control store's PostgreSQL database (its migration 3 made the tables). */
export class PostgresWebhookStore implements WebhookStore {
  constructor(private readonly database: PostgresControlDatabase) {}

  private get pool() {
    return this.database.pool;
  }

  async addEndpoint(endpoint: NewWebhookEndpoint): Promise<void> {
    await this.pool.query(
      `INSERT INTO webhook_endpoints (endpoint_id, tenant_id, app_id, url, secret, events, enabled, disabled_reason, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, true, NULL, $7)`,
      [endpoint.endpointId, endpoint.tenantId, endpoint.appId, endpoint.url, endpoint.secret, eventsColumn(endpoint.events), endpoint.createdAt],
    );
  }

  async listEndpoints(app?: AppName): Promise<WebhookEndpoint[]> {
    const result =
      app === undefined
        ? await this.pool.query<PostgresRow>(`SELECT ${endpointColumns} FROM webhook_endpoints ORDER BY tenant_id, app_id, created_at, endpoint_id`)
        : await this.pool.query<PostgresRow>(
            `SELECT ${endpointColumns} FROM webhook_endpoints WHERE tenant_id = $1 AND app_id = $2 ORDER BY created_at, endpoint_id`,
            [app.tenantId, app.appId],
          );
    return result.rows.map((row) => endpointFromRow(postgresColumns(row)));
  }

  async removeEndpoint(endpointId: string): Promise<boolean> {
    const result = await this.pool.query<PostgresRow>(
      `WITH gone AS (DELETE FROM webhook_deliveries WHERE endpoint_id = $1 RETURNING event_id),
       removed AS (DELETE FROM webhook_endpoints WHERE endpoint_id = $1 RETURNING 1),
       events AS (
         DELETE FROM webhook_events v WHERE v.event_id IN (SELECT event_id FROM gone)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.event_id AND d.endpoint_id <> $1))
       SELECT count(*) AS n FROM removed`,
      [endpointId],
    );
    return intColumn(result.rows[0], 'n') > 0;
  }

  async subscriptions(): Promise<EndpointSubscription[]> {
    const result = await this.pool.query<PostgresRow>('SELECT tenant_id, app_id, events FROM webhook_endpoints WHERE enabled');
    return result.rows.map((row) => ({ tenantId: textColumn(row, 'tenant_id'), appId: textColumn(row, 'app_id'), events: eventsFromColumn(textColumn(row, 'events')) }));
  }

  async enqueue(event: OutboxEvent): Promise<number> {
    const result = await this.pool.query<PostgresRow>(postgresOutboxStatement, postgresOutboxValues(event));
    return intColumn(result.rows[0], 'deliveries');
  }

  async claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    // One read first: an idle outbox costs one statement a poll, not a locked transaction.
    const due = await this.pool.query(anyDue, [claim.now]);
    if (due.rows.length === 0) return [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(claimLock);
      const result = await client.query<PostgresRow>(claimDue, [claim.now, claim.owner, claim.now + claim.leaseMs, claim.maxPerEndpoint, claim.limit]);
      await client.query('COMMIT');
      return result.rows
        .sort((a, b) => intColumn(a, 'next_attempt_at') - intColumn(b, 'next_attempt_at'))
        .map((row) => ({
          deliveryId: textColumn(row, 'delivery_id'),
          endpointId: textColumn(row, 'endpoint_id'),
          url: textColumn(row, 'url'),
          secret: textColumn(row, 'secret'),
          eventType: textColumn(row, 'event_type'),
          data: textColumn(row, 'data'),
          eventCreatedAt: intColumn(row, 'event_created_at'),
          attempts: intColumn(row, 'attempts'),
          scheduleStartAt: intColumn(row, 'schedule_start_at'),
          owner: claim.owner,
        }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async releaseLeasesOf(nodeId: string): Promise<number> {
    const result = await this.pool.query(
      `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL
       WHERE lease_owner IS NOT NULL AND left(lease_owner, length($1::text)) = $1::text`,
      [`${nodeId}/`],
    );
    return result.rowCount ?? 0;
  }

  async finishAttempt(attempt: FinishedAttempt): Promise<boolean> {
    const { outcome } = attempt;
    const values = [
      attempt.deliveryId,
      attempt.owner,
      outcome.kind === 'retry' ? 'pending' : outcome.kind,
      outcome.kind === 'retry' ? outcome.nextAttemptAt : attempt.now,
      outcome.status,
      outcome.kind === 'delivered' ? null : outcome.error,
      attempt.now,
    ];
    if (attempt.disableEndpoint === undefined) {
      const result = await this.pool.query(finishAttempt, values);
      return (result.rowCount ?? 0) > 0;
    }
    const result = await this.pool.query<PostgresRow>(
      `WITH finished AS (${finishAttempt} RETURNING 1),
       disabled AS (UPDATE webhook_endpoints SET enabled = false, disabled_reason = $9 WHERE endpoint_id = $8 RETURNING 1),
       abandoned AS (
         UPDATE webhook_deliveries SET status = 'failed', last_error = $10, lease_owner = NULL, lease_until = NULL, updated_at = $7
         WHERE endpoint_id = $8 AND status = 'pending' AND delivery_id <> $1)
       SELECT count(*) AS n FROM finished`,
      [...values, attempt.endpointId, attempt.disableEndpoint, `endpoint disabled: ${attempt.disableEndpoint}`],
    );
    return intColumn(result.rows[0], 'n') > 0;
  }

  async listDeliveries(endpointId: string, options: { failedOnly: boolean; limit: number }): Promise<DeliveryRecord[]> {
    const result = await this.pool.query<PostgresRow>(
      `SELECT d.delivery_id, d.event_id, v.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
         d.created_at, d.updated_at
       FROM webhook_deliveries d JOIN webhook_events v ON v.event_id = d.event_id
       WHERE d.endpoint_id = $1 ${options.failedOnly ? "AND d.status = 'failed'" : ''}
       ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT $2`,
      [endpointId, options.limit],
    );
    return result.rows.map((row) => deliveryFromRow(postgresColumns(row)));
  }

  async pruneFinished(before: number): Promise<number> {
    const result = await this.pool.query<PostgresRow>(
      `WITH pruned AS (
         DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < $1 RETURNING event_id),
       events AS (
         DELETE FROM webhook_events v WHERE v.event_id IN (SELECT event_id FROM pruned)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.event_id
             AND NOT (d.status IN ('delivered', 'failed') AND d.updated_at < $1)))
       SELECT count(*) AS n FROM pruned`,
      [before],
    );
    return intColumn(result.rows[0], 'n');
  }

  async retryDelivery(deliveryId: string, now: number): Promise<RetryResult> {
    const result = await this.pool.query<PostgresRow>(
      `WITH updated AS (
         UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = $2, schedule_start_at = $2,
           lease_owner = NULL, lease_until = NULL, updated_at = $2
         WHERE d.delivery_id = $1
           AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.endpoint_id = d.endpoint_id AND e.enabled)
         RETURNING 1)
       SELECT (SELECT count(*) FROM updated) AS updated,
         (SELECT count(*) FROM webhook_deliveries WHERE delivery_id = $1) AS found`,
      [deliveryId, now],
    );
    if (intColumn(result.rows[0], 'updated') > 0) return 'due';
    return intColumn(result.rows[0], 'found') > 0 ? 'endpoint-disabled' : 'unknown';
  }
}

function postgresColumns(row: PostgresRow): ColumnReader {
  return {
    text: (column) => textColumn(row, column),
    int: (column) => intColumn(row, column),
    flag: (column) => row[column] === true,
    isNull: (column) => row[column] === null,
  };
}
