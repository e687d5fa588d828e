import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

describe('smoke', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  it('two stock clients sync text', async () => {
    const token = await server.token();
    const a = connectClient(server.url, 'smoke', { token });
    const b = connectClient(server.url, 'smoke', { token });
    await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
    a.doc.getText('t').insert(0, 'hello');
    await eventually(() => b.doc.getText('t').toString() === 'hello');
    assert.equal(b.doc.getText('t').toString(), 'hello');
    destroyAll([a.provider, b.provider]);
  });
});
