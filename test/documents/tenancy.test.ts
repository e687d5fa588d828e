import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestApp, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import type { WebsocketProvider } from 'y-websocket';

describe('documents: tenant isolation', () => {
  let server: TestServer;
  let globex: TestApp;
  const providers: WebsocketProvider[] = [];
  before(async () => {
    server = await startTestServer();
    globex = await server.addApp('globex', 'editor');
  });
  after(async () => {
    destroyAll(providers);
    await server.close();
  });

  const open = async (name: string, app: TestApp) => {
    const client = connectClient(server.url, encodeURIComponent(name), { token: await server.token({ app }) });
    providers.push(client.provider);
    await waitForSync(client.provider);
    return client;
  };

  it('TEN-1/LIFE-2: two tenants using one document name get two documents', async () => {
    const acme = await open('shared', server.app);
    const other = await open('shared', globex);
    acme.doc.getText('t').insert(0, 'acme secret');
    other.doc.getText('t').insert(0, 'globex secret');
    await eventually(() => server.hub.size >= 2);
    const acmeAgain = await open('shared', server.app);
    await eventually(() => acmeAgain.doc.getText('t').toString() === 'acme secret');
    assert.equal(other.doc.getText('t').toString(), 'globex secret');
    assert.notEqual(await server.stores.routing.getRoute('acme::editor::shared'), null);
    assert.notEqual(await server.stores.routing.getRoute('globex::editor::shared'), null);
  });

  it("TEN-2: names with '::' or '/' stay inside the caller's tenant and app", async () => {
    const victim = await open('shared', globex);
    await eventually(() => victim.doc.getText('t').length > 0);
    for (const name of ['globex::editor::shared', '../globex/editor/shared', 'a/b::c']) {
      const attacker = await open(name, server.app);
      attacker.doc.getText('t').insert(0, 'overwritten?');
      const key = `acme::editor::${name}`;
      await eventually(() => server.server.documents.getSession(key) !== null, 2000, key);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(victim.doc.getText('t').toString(), 'globex secret');
    const fresh = await open('shared', globex);
    await eventually(() => fresh.doc.getText('t').toString() === 'globex secret');
  });
});
