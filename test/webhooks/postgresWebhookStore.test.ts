import { after, it } from 'node:test';
import { openPostgresControlStores } from '../../src/routing/index.js';
import { postgresGate, PostgresSchemas } from '../helpers/postgresTestDatabase.js';
import { webhookStoreContract, withWebhookStore } from './webhookStoreContract.js';

const postgres = await postgresGate();

if (postgres.url === null) {
  it('PostgreSQL webhook store tests (127.0.0.1:5432, database test)', { skip: postgres.skip }, () => postgres.assertAvailable());
} else {
  const url = postgres.url;
  const schemas = new PostgresSchemas(url);
  after(() => schemas.dropAll());
  webhookStoreContract('postgres', async () => withWebhookStore(async () => openPostgresControlStores({ url, schema: await schemas.fresh() })));
}
