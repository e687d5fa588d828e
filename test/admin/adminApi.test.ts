import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { adminStoresOf, issueAdminToken } from '../../src/admin/index.js';
import { generateHs256Secret } from '../../src/auth/index.js';
import { adminRoutes } from '../../src/server/adminRoutes.js';
import { generateWebhookSecret, webhookStoreOf } from '../../src/webhooks/index.js';
import { captureLogger, type CapturedLogs } from '../helpers/captureLogger.js';
import { documentRequest } from '../helpers/documentHttp.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { socketOutcome } from '../helpers/socketOutcome.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { WebhookReceiver } from '../helpers/webhookReceiver.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';
import { adminCall, adminToken } from './adminHttp.js';

/** Each route's example path with its params filled in. */
function pathOf(example: string): string {
  return example.replace('<tenantId>', 'acme').replace('<appId>', 'editor').replace('<name>', 'notes');
}

/** A body each action route would accept, so only the token decides. */
const validBodies: Record<string, unknown> = {
  'POST tenants': { tenantId: 'refused-co' },
  'PATCH tenants/<tenantId>': { maxDocuments: 0 },
  'POST apps': { tenantId: 'acme', appId: 'refused-app' },
  'POST apps/<tenantId>/<appId>/rotate-key': {},
  'POST apps/<tenantId>/<appId>/tokens': { userId: 'mallory' },
};

describe('admin API over HTTP (libSQL file)', () => {
  let server: TestServer;
  let logs: CapturedLogs;
  let admin: string;

  before(async () => {
    logs = captureLogger();
    server = await startTestServer({ logger: logs.logger, config: { adminSampleIntervalMs: 100, keyCheckIntervalMs: 100 }, maxDocuments: 5 });
    admin = await adminToken(server, 'alice');
  });
  after(() => server.close());

  /** The log lines of admin actions. */
  const actions = (action: string) => logs.lines.filter((line) => line.action === action);

  it('ADMIN-2: every admin route refuses an app token (403) and a missing, forged or expired admin token (401), and changes nothing', async () => {
    const appToken = await server.token();
    const forged = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: 'wiresocket-admin/1' })
      .setSubject('mallory')
      .setAudience('wiresocket-admin')
      .setExpirationTime('1h')
      .sign(Buffer.from(generateHs256Secret(), 'base64url'));
    const key = await adminStoresOf(server.stores).keys.currentKey();
    const expired = await issueAdminToken({ key, subject: 'alice', ttlSeconds: 1, now: Date.now() - 10_000 });
    assert.ok(adminRoutes.length >= 14, `${adminRoutes.length} routes`);
    for (const route of adminRoutes) {
      const body = validBodies[`${route.method} ${route.example}`];
      const path = pathOf(route.example);
      const asApp = await adminCall(server, route.method, path, appToken, body);
      assert.equal(asApp.status, 403, `${route.method} ${path} with an app token`);
      assert.equal(asApp.json?.code, 'ADMIN_TOKEN_REQUIRED');
      assert.equal(typeof asApp.json?.message, 'string');
      for (const [token, code] of [[null, 'TOKEN_MISSING'], [forged, 'TOKEN_INVALID'], [expired, 'TOKEN_EXPIRED']] as const) {
        const refused = await adminCall(server, route.method, path, token, body);
        assert.equal(refused.status, 401, `${route.method} ${path} with ${code}`);
        assert.equal(refused.json?.code, code);
      }
    }
    assert.equal(await server.stores.tenants.getTenant('refused-co'), null);
    assert.equal(await server.stores.tenants.getApp('acme', 'refused-app'), null);
    assert.equal((await server.stores.tenants.getTenant('acme'))?.maxDocuments, 5);
    assert.equal((await server.stores.tenants.getApp('acme', 'editor'))?.keyVersion, 1);
    assert.equal(logs.lines.filter((line) => line.action !== undefined).length, 0);
  });

  it('ADMIN-3: an admin token opens no document socket and calls no app route; the admin key is no app key', async () => {
    const ws = new WebSocket(`${server.url}/notes`, ['Bearer', admin]);
    const { closed } = socketOutcome(ws);
    assert.equal((await closed).code, 4401);
    assert.equal((await documentRequest(server.url, '/v1/documents', admin)).status, 401);
    const key = await adminStoresOf(server.stores).keys.currentKey();
    const appKeys = (await server.stores.tenants.listApps()).map((app) => (app.key.kind === 'hs256-secret' ? app.key.secret : app.key.pem));
    assert.ok(!appKeys.includes(key.secret));
  });

  it('ADMIN-4: reads show tenants with quota use, apps, the live document with its connections per node, the board apart, and the nodes', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'notes', { token });
    const b = connectClient(server.url, 'notes', { token });
    const board = await RawBoardClient.join(server.url, 'sprint', token);
    try {
      await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
      a.doc.getText('t').insert(0, 'hello');
      const nodeId = server.server.nodeId;
      await eventually(async () => ((await adminCall(server, 'GET', 'documents', admin)).json?.documents as unknown[]).length === 1, 5_000, 'the document listed');
      const documents = (await adminCall(server, 'GET', 'documents', admin)).json?.documents as Record<string, unknown>[];
      assert.equal(documents.length, 1, 'the board is not a document');
      const [document] = documents;
      assert.deepEqual(
        { tenantId: document!.tenantId, appId: document!.appId, name: document!.name, region: document!.region, connections: document!.connections, byNode: document!.connectionsByNode },
        { tenantId: 'acme', appId: 'editor', name: 'notes', region: 'local', connections: 2, byNode: { [nodeId]: 2 } },
      );
      assert.ok((document!.ageMs as number) >= 0);
      assert.ok(Date.parse(document!.lastActivityAt as string) >= Date.parse(document!.createdAt as string));

      const boards = (await adminCall(server, 'GET', 'boards', admin)).json?.boards as Record<string, unknown>[];
      assert.deepEqual(boards.map((row) => [row.tenantId, row.appId, row.name, row.connections]), [['acme', 'editor', 'sprint', 1]]);

      const tenants = (await adminCall(server, 'GET', 'tenants', admin)).json?.tenants as Record<string, unknown>[];
      assert.deepEqual(tenants.find((tenant) => tenant.tenantId === 'acme'), { tenantId: 'acme', maxDocuments: 5, liveDocuments: 1, regions: null });

      const apps = (await adminCall(server, 'GET', 'apps', admin)).json?.apps as Record<string, unknown>[];
      const editor = apps.find((app) => app.appId === 'editor');
      assert.deepEqual([editor?.tenantId, editor?.keyKind, editor?.algorithm, editor?.keyVersion], ['acme', 'hs256-secret', 'HS256', 1]);
      assert.ok(!JSON.stringify(apps).includes(server.app.secret), 'no secret in the app list');

      const nodes = (await adminCall(server, 'GET', 'nodes', admin)).json?.nodes as Record<string, unknown>[];
      const self = nodes.find((node) => node.nodeId === nodeId);
      assert.deepEqual([self?.region, self?.live, self?.self, self?.connections], ['local', true, true, 3]);
      assert.ok((self?.heartbeatAgeMs as number) < 10_000);

      const session = await adminCall(server, 'GET', 'session', admin);
      assert.equal(session.json?.subject, 'alice');
    } finally {
      destroyAll([a.provider, b.provider]);
      board.client.ws.close();
    }
  });

  it('ADMIN-5: create a tenant, set its quota and regions, create an app, mint a token that opens a document; each action is logged once with its subject', async () => {
    const created = await adminCall(server, 'POST', 'tenants', admin, { tenantId: 'globex', maxDocuments: 2 });
    assert.equal(created.status, 201);
    assert.deepEqual(created.json?.tenant, { tenantId: 'globex', maxDocuments: 2, liveDocuments: 0, regions: null });
    const set = await adminCall(server, 'PATCH', 'tenants/globex', admin, { maxDocuments: 7, regions: ['local'] });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json?.tenant, { tenantId: 'globex', maxDocuments: 7, liveDocuments: 0, regions: ['local'] });
    assert.deepEqual(await server.stores.tenants.getTenant('globex'), { tenantId: 'globex', maxDocuments: 7, allowedRegions: ['local'] });

    const app = await adminCall(server, 'POST', 'apps', admin, { tenantId: 'globex', appId: 'web' });
    assert.equal(app.status, 201);
    assert.equal(typeof app.json?.secret, 'string');
    assert.equal((app.json?.app as Record<string, unknown>).keyVersion, 1);

    const minted = await adminCall(server, 'POST', 'apps/globex/web/tokens', admin, { userId: 'bob', ttl: '15m', docs: ['plans*'] });
    assert.equal(minted.status, 201);
    const token = minted.json?.token as string;
    const { provider, doc } = connectClient(server.url, 'plans/q1', { token });
    try {
      await waitForSync(provider);
      doc.getText('t').insert(0, 'minted');
      await eventually(() => server.server.documents.getSession('globex::web::plans/q1')?.encodeState() !== undefined, 5_000, 'the session');
    } finally {
      destroyAll([provider]);
    }
    const refused = new WebSocket(`${server.url}/elsewhere`, ['Bearer', token]);
    assert.equal((await socketOutcome(refused).closed).code, 4403, 'the grant is the one asked for');

    for (const action of ['tenant.create', 'tenant.set', 'app.create', 'token.mint']) {
      const lines = actions(action);
      assert.equal(lines.length, 1, action);
      assert.equal(lines[0]!.admin, 'alice', action);
    }
    assert.ok(!JSON.stringify(logs.lines).includes(app.json?.secret as string), 'the secret is never logged');
    assert.ok(!JSON.stringify(logs.lines).includes(token), 'the minted token is never logged');
  });

  it('ADMIN-5: rotating a key returns a new secret; sockets opened with the old key close with 4401', async () => {
    const old = await server.token({ app: await server.addApp('acme', 'rotating') });
    const { provider } = connectClient(server.url, 'r', { token: old });
    try {
      await waitForSync(provider);
      const closing = nextClose(provider, 5_000);
      const rotated = await adminCall(server, 'POST', 'apps/acme/rotating/rotate-key', admin, {});
      assert.equal(rotated.status, 200);
      assert.equal((rotated.json?.app as Record<string, unknown>).keyVersion, 2);
      assert.equal(typeof rotated.json?.secret, 'string');
      assert.equal((await closing).code, 4401);
      const minted = await adminCall(server, 'POST', 'apps/acme/rotating/tokens', admin, { userId: 'carol' });
      const fresh = connectClient(server.url, 'r', { token: minted.json?.token as string });
      await waitForSync(fresh.provider);
      destroyAll([fresh.provider]);
      assert.equal(actions('app.rotate-key').length, 1);
      assert.equal(actions('app.rotate-key')[0]!.admin, 'alice');
    } finally {
      destroyAll([provider]);
    }
  });

  it('ADMIN-6: ending a document session closes every client with 4410 and unpins it, through the DELETE path', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'doomed/one', { token });
    const b = connectClient(server.url, 'doomed/one', { token });
    try {
      await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
      const closes = Promise.all([nextClose(a.provider), nextClose(b.provider)]);
      const ended = await adminCall(server, 'DELETE', `documents/acme/editor/${encodeURIComponent('doomed/one')}`, admin);
      assert.equal(ended.status, 204);
      assert.deepEqual((await closes).map((close) => close.code), [4410, 4410]);
      assert.equal(await server.stores.routing.getRoute(server.key('doomed/one')), null);
      assert.equal(actions('document.end').length, 1);
      assert.deepEqual([actions('document.end')[0]!.admin, actions('document.end')[0]!.documentName], ['alice', 'doomed/one']);
      const again = await adminCall(server, 'DELETE', 'documents/acme/editor/doomed%2Fone', admin);
      assert.equal(again.status, 404);
      assert.equal(again.json?.code, 'DOCUMENT_NOT_FOUND');
    } finally {
      destroyAll([a.provider, b.provider]);
    }
  });

  it('ADMIN-7: bad requests answer { code, message }: 400 naming the field, 404 unknown, 409 exists, 405 wrong method', async () => {
    const cases: Array<[string, string, unknown, number, string, RegExp?]> = [
      ['POST', 'tenants', { tenantId: 'bad id!' }, 400, 'REQUEST_INVALID', /tenantId/],
      ['POST', 'tenants', { tenantId: 'ok', maxDocuments: -1 }, 400, 'REQUEST_INVALID', /maxDocuments/],
      ['POST', 'tenants', '{not json', 400, 'REQUEST_INVALID', /JSON/],
      ['POST', 'tenants', { tenantId: 'ok', extra: 1 }, 400, 'REQUEST_INVALID'],
      ['POST', 'tenants', { tenantId: 'acme' }, 409, 'ADMIN_CONFLICT'],
      ['PATCH', 'tenants/acme', {}, 400, 'REQUEST_INVALID', /maxDocuments or regions/],
      ['PATCH', 'tenants/acme', { regions: ['no spaces'] }, 400, 'REQUEST_INVALID', /region/],
      ['PATCH', 'tenants/nobody', { maxDocuments: 3 }, 404, 'ADMIN_NOT_FOUND'],
      ['POST', 'apps', { tenantId: 'nobody', appId: 'x' }, 404, 'ADMIN_NOT_FOUND'],
      ['POST', 'apps', { tenantId: 'acme', appId: 'editor' }, 409, 'ADMIN_CONFLICT'],
      ['POST', 'apps', { tenantId: 'acme', appId: 'pk', publicKey: 'not a pem' }, 400, 'REQUEST_INVALID', /publicKey/],
      ['POST', 'apps/acme/nobody/rotate-key', {}, 404, 'ADMIN_NOT_FOUND'],
      ['POST', 'apps/acme/nobody/tokens', { userId: 'x' }, 404, 'ADMIN_NOT_FOUND'],
      ['POST', 'apps/acme/editor/tokens', {}, 400, 'REQUEST_INVALID', /userId/],
      ['POST', 'apps/acme/editor/tokens', { userId: 'x', ttl: 'forever' }, 400, 'REQUEST_INVALID', /ttl/],
      ['DELETE', 'documents/acme/editor/never-opened', undefined, 404, 'DOCUMENT_NOT_FOUND'],
      ['GET', 'nothing-here', undefined, 404, 'ADMIN_NOT_FOUND'],
      ['DELETE', 'tenants', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', 'webhooks/deliveries?limit=0', undefined, 400, 'REQUEST_INVALID', /limit/],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const answer = await adminCall(server, method, path, admin, body);
      assert.equal(answer.status, status, `${method} ${path} ${JSON.stringify(body)}`);
      assert.equal(answer.json?.code, code, `${method} ${path}`);
      assert.equal(typeof answer.json?.message, 'string');
      if (message) assert.match(answer.json?.message as string, message, `${method} ${path}`);
    }
    assert.equal(await server.stores.tenants.getTenant('ok'), null);
  });

  it('ADMIN-8: the server samples its own figures: connections, updates/s, event-loop delay, limit hits', async () => {
    const token = await server.token();
    const { provider, doc } = connectClient(server.url, 'busy', { token });
    try {
      await waitForSync(provider);
      for (let i = 0; i < 20; i++) {
        doc.getText('t').insert(0, `x${i}`);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await eventually(async () => {
        const samples = (await adminCall(server, 'GET', 'metrics', admin)).json?.samples as Record<string, number>[];
        return samples.some((sample) => sample.updatesPerSecond > 0 && sample.connections >= 1);
      }, 5_000, 'a sample with updates');
      const metrics = (await adminCall(server, 'GET', 'metrics', admin)).json!;
      assert.equal(metrics.nodeId, server.server.nodeId);
      assert.equal(metrics.intervalMs, 100);
      const samples = metrics.samples as Record<string, number>[];
      for (const sample of samples) {
        assert.deepEqual(Object.keys(sample).sort(), ['at', 'connections', 'eventLoopDelayMs', 'limitHits', 'updatesPerSecond']);
        assert.ok(sample.eventLoopDelayMs >= 0 && sample.limitHits >= 0);
      }
      assert.ok(samples.every((sample, i) => i === 0 || sample.at > samples[i - 1]!.at), 'oldest first');
    } finally {
      destroyAll([provider]);
    }
  });
});

describe('admin API: webhook deliveries', () => {
  it('ADMIN-9: recent deliveries of every endpoint, their failures apart', async () => {
    const server = await startTestServer({ webhooks: true, config: { allowPrivateWebhooks: true } });
    const receiver = await WebhookReceiver.start(() => 500);
    try {
      const admin = await adminToken(server, 'alice');
      await webhookStoreOf(server.stores).addEndpoint({ endpointId: 'ep', tenantId: 'acme', appId: 'editor', url: receiver.url, secret: generateWebhookSecret(), events: ['document.created'], createdAt: Date.now() });
      await server.server.webhooks!.announcer.refresh();
      const { provider } = connectClient(server.url, 'hooked', { token: await server.token() });
      await waitForSync(provider);
      destroyAll([provider]);
      await receiver.waitFor(1);
      let deliveries: Record<string, unknown>[] = [];
      await eventually(async () => {
        deliveries = (await adminCall(server, 'GET', 'webhooks/deliveries', admin)).json?.deliveries as Record<string, unknown>[];
        return deliveries.length === 1 && deliveries[0]!.lastStatus === 500;
      }, 5_000, 'the failed attempt recorded');
      assert.deepEqual([deliveries[0]!.endpointId, deliveries[0]!.url, deliveries[0]!.eventType, deliveries[0]!.tenantId], ['ep', receiver.url, 'document.created', 'acme']);
      const failedOnly = (await adminCall(server, 'GET', 'webhooks/deliveries?failed=true', admin)).json?.deliveries as unknown[];
      assert.deepEqual(failedOnly, [], 'a retried delivery is pending, not failed');
    } finally {
      await server.close();
      await receiver.close();
    }
  });

  it('ADMIN-9: without a webhook outbox the list says so', async () => {
    const server = await startTestServer();
    try {
      const answer = await adminCall(server, 'GET', 'webhooks/deliveries', await adminToken(server));
      assert.deepEqual(answer.json, { enabled: false, deliveries: [] });
    } finally {
      await server.close();
    }
  });
});

describe('admin API across two nodes of one cluster', () => {
  it('ADMIN-4: every node answers for the cluster: connections per node, both nodes, one admin key', async () => {
    const first = await startTestServer();
    const second = await startTestServer({ shareWith: first });
    const token = await first.token();
    const a = connectClient(first.url, 'shared', { token });
    const b = connectClient(second.url, 'shared', { token });
    try {
      await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
      const admin = await adminToken(first, 'alice');
      for (const node of [first, second]) {
        const documents = (await adminCall(node, 'GET', 'documents', admin)).json?.documents as Record<string, unknown>[];
        assert.deepEqual(
          documents.map((row) => [row.name, row.connections, row.connectionsByNode]),
          [['shared', 2, { [first.server.nodeId]: 1, [second.server.nodeId]: 1 }]],
        );
        const nodes = (await adminCall(node, 'GET', 'nodes', admin)).json?.nodes as Record<string, unknown>[];
        assert.deepEqual(
          nodes.map((row) => [row.nodeId, row.live, row.connections, row.self]).sort(),
          [
            [first.server.nodeId, true, 1, node === first],
            [second.server.nodeId, true, 1, node === second],
          ].sort(),
        );
      }
      const closes = Promise.all([nextClose(a.provider), nextClose(b.provider)]);
      assert.equal((await adminCall(second, 'DELETE', 'documents/acme/editor/shared', admin)).status, 204);
      assert.deepEqual((await closes).map((close) => close.code), [4410, 4410], 'ended on both nodes');
    } finally {
      destroyAll([a.provider, b.provider]);
      await second.close();
      await first.close();
    }
  });
});
