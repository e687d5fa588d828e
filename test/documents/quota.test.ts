import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestApp, type TestServer } from '../helpers/testServer.js';

describe('documents: tenant quotas', () => {
  let server: TestServer;
  let limited: TestApp;
  const raws: RawClient[] = [];
  before(async () => {
    server = await startTestServer();
    limited = await server.addApp('small', 'app', 10);
  });
  after(async () => {
    for (const raw of raws) raw.close();
    await server.close();
  });

  const connect = async (name: string) => {
    const raw = RawClient.connect(server.url, name, ['Bearer', await server.token({ app: limited })]);
    raws.push(raw);
    return raw;
  };

  it('TEN-3/LIFE-3: 50 concurrent first connects against a limit of 10 create exactly 10 sessions; the rest get 4429', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(`doc-${i}`)));
    const outcomes = await Promise.all(clients.map((client) => client.outcome()));
    const opened = outcomes.filter((outcome) => outcome === 'open').length;
    const refused = outcomes.filter((outcome) => outcome !== 'open' && outcome.code === 4429).length;
    assert.equal(opened, 10);
    assert.equal(refused, 40);
    assert.equal(await server.stores.routing.countTenantDocuments('small'), 10);
    // Refused connects leave nothing behind: 10 documents in the sync layer, 10 sessions.
    assert.equal(server.hub.size, 10);
    assert.equal(server.server.documents.size, 10);
  });

  it('LIFE-3: a refused connect is told why with an auth message first', async () => {
    const raw = await connect('one-too-many');
    const closed = await raw.waitForClose();
    assert.equal(closed.code, 4429);
    assert.match(raw.frames.find((frame) => frame.type === 2)?.reason ?? '', /maxDocuments/);
  });

  it('LIFE-3: a connect to a document that is already live does not count again', async () => {
    const live = raws.find((raw) => raw.frames.some((frame) => frame.type === 0))!;
    const name = decodeURIComponent(new URL(live.ws.url).pathname.slice(1));
    const again = await connect(name);
    assert.equal(await again.outcome(), 'open');
  });

  it('TEN-4: raising maxDocuments lets a new document in on the running server', async () => {
    await server.stores.tenants.setMaxDocuments('small', 11);
    const raw = await connect('after-raise');
    assert.equal(await raw.outcome(), 'open');
    const next = await connect('after-raise-2');
    assert.notEqual(await next.outcome(), 'open');
  });
});
