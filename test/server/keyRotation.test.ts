import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/cliProcess.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { RawClient } from '../helpers/rawClient.js';
import { signTestToken, startTestServer, type TestServer } from '../helpers/testServer.js';

describe('apps rotate-key closes the old key\'s sockets on every node (LIM-16)', () => {
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    first = await startTestServer({ config: { keyCheckIntervalMs: 250 } });
    second = await startTestServer({ shareWith: first, config: { keyCheckIntervalMs: 250 } });
  });
  after(async () => {
    await second.close();
    await first.close();
  });

  const openDocument = async (server: TestServer, doc: string, token: string) => {
    const client = RawClient.connect(server.url, doc, ['Bearer', token]);
    await client.opened;
    return client;
  };

  it('LIM-16: sockets opened with the old key get 4401 within 5 s on both nodes; the old key is refused, the new one works', async () => {
    const other = await first.addApp('acme', 'viewer');
    const oldToken = await first.token();
    const clients = [await openDocument(first, 'rotating', oldToken), await openDocument(second, 'rotating', oldToken)];
    const { client: board } = await RawBoardClient.join(second.url, 'rotating-board', oldToken);
    const untouched = await openDocument(first, 'rotating', await first.token({ app: other }));

    const rotatedAt = Date.now();
    const result = await runCli(['apps', 'rotate-key', 'acme/editor', '--db-url', first.config.dbUrl]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /key version 2/);
    const secret = /^secret: ([\w-]+)$/m.exec(result.stdout)?.[1];
    assert.ok(secret);

    const closes = await Promise.all([...clients.map((client) => client.waitForClose(5000)), board.waitForClose(5000)]);
    assert.deepEqual(closes.map((close) => close.code), [4401, 4401, 4401]);
    assert.ok(Date.now() - rotatedAt < 5000 + 2000, 'within 5 s of the rotation (plus the CLI start)');
    assert.match(clients[0].frames.find((frame) => frame.type === 2)?.reason ?? '', /rotated/);

    const refused = await openDocument(second, 'rotating', oldToken);
    assert.equal((await refused.waitForClose()).code, 4401, 'the old key no longer verifies');
    const fresh = await openDocument(second, 'rotating', await signTestToken({ ...first.app, secret }));
    await new Promise((resolve) => setTimeout(resolve, 600)); // two more polls
    assert.equal(await fresh.outcome(100), 'open', 'a socket opened with the new key stays');
    assert.equal(await untouched.outcome(100), 'open', "another app's socket stays");
    fresh.close();
    untouched.close();
  });

  it('LIM-16: rotating an unknown app exits 1 with a message naming it', async () => {
    const result = await runCli(['apps', 'rotate-key', 'acme/ghost', '--db-url', first.config.dbUrl]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /app acme\/ghost does not exist/);
  });
});
