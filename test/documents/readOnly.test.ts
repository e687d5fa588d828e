import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

describe('documents: read-only tokens', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  it("PROTO-6: a read-only client's edits never reach anyone; it still receives the others'", async () => {
    const writer = connectClient(server.url, 'ro', { token: await server.token() });
    const reader = connectClient(server.url, 'ro', { token: await server.token({ access: 'read-only', userId: 'viewer' }) });
    await Promise.all([waitForSync(writer.provider), waitForSync(reader.provider)]);
    reader.doc.getText('t').insert(0, 'vandalism');
    writer.doc.getText('t').insert(0, 'real');
    await eventually(() => reader.doc.getText('t').toString().includes('real'));
    const late = connectClient(server.url, 'ro', { token: await server.token() });
    await waitForSync(late.provider);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(writer.doc.getText('t').toString(), 'real');
    assert.equal(late.doc.getText('t').toString(), 'real');
    assert.equal(server.server.documents.getSession(server.key('ro'))?.connectionCount, 3, 'the read-only socket stays open');
    destroyAll([writer.provider, reader.provider, late.provider]);
  });

  it('PROTO-6: the read-only connection is told once with an auth message, and gets no echo', async () => {
    const raw = RawClient.connect(server.url, 'ro-raw', ['Bearer', await server.token({ access: 'read-only' })]);
    await raw.opened;
    for (let i = 0; i < 3; i++) raw.send(updateFrame(textUpdate(`x${i}`, 't', 900 + i)));
    await raw.waitForFrame((frame) => frame.type === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const notices = raw.frames.filter((frame) => frame.type === 2);
    assert.equal(notices.length, 1);
    assert.match(notices[0].reason ?? '', /read-only/);
    assert.equal(raw.frames.filter((frame) => frame.type === 0 && frame.subType === 2).length, 0);
    raw.close();
  });
});
