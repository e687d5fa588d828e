import type { ControlStores } from '../routing/index.js';
import { LibsqlWebhookStore } from './libsqlWebhookStore.js';
import { PostgresWebhookStore } from './postgresWebhookStore.js';
import type { WebhookStore } from './webhookStore.js';

/** The webhook store on the control stores' database (it shares their lifetime: closing them closes it). */
export function webhookStoreOf(stores: ControlStores): WebhookStore {
  return stores.kind === 'libsql' ? new LibsqlWebhookStore(stores.database) : new PostgresWebhookStore(stores.database);
}
