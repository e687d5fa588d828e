import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLibsqlControlStores } from '../../src/routing/index.js';
import { webhookStoreContract, withWebhookStore } from './webhookStoreContract.js';

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wiresocket-webhooks-'));
});
after(() => rm(dir, { recursive: true, force: true }));

webhookStoreContract('libsql file', () => withWebhookStore(() => openLibsqlControlStores({ url: `file:${join(dir, `control-${++files}.db`)}` })));
