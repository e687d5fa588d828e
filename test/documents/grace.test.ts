import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

const graceMs = 800;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`documents: the grace after the last client (grace ${graceMs} ms)`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { graceMs } });
  });
  after(async () => server.close());

  const session = async (name: string, text?: string) => {
    const client = connectClient(server.url, name, { token: await server.token() });
    await waitForSync(client.provider);
    if (text) {
      client.doc.getText('t').insert(0, text);
      await eventually(() => server.server.documents.getSession(server.key(name))?.encodeState().length !== 2);
    }
    return client;
  };

  it('LIFE-8/LIFE-9: a reconnect at 50% of the grace keeps the state and the routing row', async () => {
    const first = await session('refresh', 'draft');
    const key = server.key('refresh');
    const pinned = await server.stores.routing.getRoute(key);
    destroyAll([first.provider]);
    await eventually(() => server.server.documents.getSession(key)?.lifecycle.state.kind === 'idle');
    await sleep(graceMs / 2);
    const second = await session('refresh');
    await eventually(() => second.doc.getText('t').toString() === 'draft');
    await sleep(graceMs);
    assert.deepEqual(await server.stores.routing.getRoute(key), pinned, 'same routing row, not re-pinned');
    assert.equal(server.server.documents.getSession(key)?.lifecycle.state.kind, 'active');
    destroyAll([second.provider]);
  });

  it('LIFE-8/LIFE-10/LIFE-12: after the grace the row and the sync state are gone; the next connect starts empty', async () => {
    const first = await session('ending', 'will vanish');
    const key = server.key('ending');
    destroyAll([first.provider]);
    const leftAt = Date.now();
    await eventually(() => server.server.documents.getSession(key)?.lifecycle.state.kind === 'idle');
    assert.notEqual(await server.stores.routing.getRoute(key), null, 'still pinned during the grace');
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, graceMs * 4, 'unpin');
    assert.ok(Date.now() - leftAt >= graceMs - 20, `ended after ${Date.now() - leftAt} ms, not before the grace`);
    await eventually(() => server.server.documents.getSession(key) === null);
    await eventually(() => !server.hub.has(key));

    const next = await session('ending');
    assert.equal(next.doc.getText('t').toString(), '', 'a new, empty document');
    const route = await server.stores.routing.getRoute(key);
    assert.equal(route?.region, 'local');
    destroyAll([next.provider]);
  });
});
