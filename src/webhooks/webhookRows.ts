import { eventsFromColumn, isDeliveryStatus, type DeliveryRecord, type WebhookEndpoint } from './webhookStore.js';

/**
 * How one database driver reads a row's columns. The webhook tables have the same columns on
 * libSQL and PostgreSQL; only the value types differ (a boolean is 0/1 on libSQL), so each store
 * gives its reader and the rows are decoded once, here.
 */
export interface ColumnReader {
  text(column: string): string;
  int(column: string): number;
  flag(column: string): boolean;
  isNull(column: string): boolean;
}

/** The columns `endpointFromRow` reads, in the order of the queries. */
export const endpointColumns = 'endpoint_id, tenant_id, app_id, url, events, enabled, disabled_reason, created_at';

export function endpointFromRow(read: ColumnReader): WebhookEndpoint {
  return {
    endpointId: read.text('endpoint_id'),
    tenantId: read.text('tenant_id'),
    appId: read.text('app_id'),
    url: read.text('url'),
    events: eventsFromColumn(read.text('events')),
    enabled: read.flag('enabled'),
    disabledReason: read.isNull('disabled_reason') ? null : read.text('disabled_reason'),
    createdAt: read.int('created_at'),
  };
}

export function deliveryFromRow(read: ColumnReader): DeliveryRecord {
  const status = read.text('status');
  if (!isDeliveryStatus(status)) throw new Error(`webhook delivery has unknown status ${JSON.stringify(status)}`);
  return {
    deliveryId: read.text('delivery_id'),
    eventId: read.text('event_id'),
    eventType: read.text('event_type'),
    status,
    attempts: read.int('attempts'),
    nextAttemptAt: read.int('next_attempt_at'),
    lastStatus: read.isNull('last_status') ? null : read.int('last_status'),
    lastError: read.isNull('last_error') ? null : read.text('last_error'),
    createdAt: read.int('created_at'),
    updatedAt: read.int('updated_at'),
  };
}
