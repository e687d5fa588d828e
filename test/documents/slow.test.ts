import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serveDefaults } from '../../src/config.js';
import { WebSocket } from 'ws';
import { step1Frame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Real time on purpose: these rules are about the real defaults. They run side by side.
describe('documents: real-time rules at their defaults', { concurrency: true }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { graceMs: serveDefaults.graceMs } });
  });
  after(async () => server.close());

  it('PROTO-4: a stock client alone on a document stays connected for 45 s', { timeout: 60_000 }, async () => {
    const client = connectClient(server.url, 'alone', { token: await server.token() });
    await waitForSync(client.provider);
    let closes = 0;
    client.provider.on('connection-close', () => closes++);
    await sleep(45_000);
    assert.equal(closes, 0, 'the client never dropped its socket');
    assert.ok(client.provider.wsconnected);
    destroyAll([client.provider]);
  });

  it('LIM-13: at the defaults a socket that answers no ping is terminated 45 s after its last sign of life', { timeout: 60_000 }, async () => {
    assert.equal(serveDefaults.livenessTimeoutMs, 45_000);
    const silent = new RawClient(new WebSocket(`${server.url}/unanswering`, ['Bearer', await server.token()], { autoPong: false }));
    await silent.opened;
    silent.send(step1Frame());
    const openedAt = Date.now();
    await silent.waitForClose(50_000);
    const elapsed = Date.now() - openedAt;
    assert.ok(elapsed >= 44_500 && elapsed < 47_500, `cut after ${elapsed} ms`);
  });

  it('LIFE-8/LIFE-10: with the real default the session ends 10 s after the last client leaves', { timeout: 30_000 }, async () => {
    assert.equal(serveDefaults.graceMs, 10_000);
    const client = connectClient(server.url, 'default-grace', { token: await server.token() });
    await waitForSync(client.provider);
    const key = server.key('default-grace');
    destroyAll([client.provider]);
    await eventually(() => server.server.documents.getSession(key)?.lifecycle.state.kind === 'idle');
    const leftAt = Date.now();
    await sleep(9_000);
    assert.notEqual(await server.stores.routing.getRoute(key), null, 'still pinned at 9 s');
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, 3_000, 'unpin after 10 s');
    const elapsed = Date.now() - leftAt;
    assert.ok(elapsed >= 9_950 && elapsed < 11_500, `ended after ${elapsed} ms`);
  });
});
