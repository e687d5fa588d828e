import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { step1Frame, textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, waitForSync } from '../helpers/yjsClient.js';

describe('documents: per-connection rate and per-document connections (LIM-9, LIM-12)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { maxMessagesPerSecond: 50, messageBurst: 100, maxConnectionsPerDocument: 3 } });
  });
  after(async () => server.close());

  const open = async (doc: string) => {
    const raw = RawClient.connect(server.url, doc, ['Bearer', await server.token()]);
    await raw.opened;
    return raw;
  };

  it('LIM-9: a client sending above its rate past its burst is closed with 4429; what it sent before is kept', async () => {
    const flooder = await open('flood');
    const peer = await open('flood');
    flooder.send(updateFrame(textUpdate('kept', 't', 4242)));
    for (let i = 0; i < 300; i++) flooder.send(step1Frame());
    assert.equal((await flooder.waitForClose()).code, 4429);
    assert.equal(textOf([server.server.documents.getSession(server.key('flood'))!.encodeState()]), 'kept');
    assert.equal(await peer.outcome(100), 'open', 'the peer is not affected');
    assert.equal(await server.server.metrics.hitsOf('message-rate'), 1);
    peer.close();
  });

  it('LIM-9: a client within its rate is never cut off', async () => {
    const steady = await open('steady');
    for (let i = 0; i < 60; i++) {
      steady.send(step1Frame());
      await new Promise((resolve) => setTimeout(resolve, 25)); // 40/s, under 50/s
    }
    await steady.waitForFrame(() => steady.frames.filter((frame) => frame.type === 0 && frame.subType === 1).length === 60);
    assert.equal(await steady.outcome(100), 'open');
    steady.close();
  });

  it('LIM-12: past --max-connections-per-document a connect is closed with 1013; the members keep editing', async () => {
    const token = await server.token();
    const members = [0, 1, 2].map(() => connectClient(server.url, 'full-room', { token }));
    await Promise.all(members.map((member) => waitForSync(member.provider)));
    const late = await open('full-room');
    assert.equal((await late.waitForClose()).code, 1013);
    members[0].doc.getText('t').insert(0, 'still here');
    await waitForSync(members[2].provider);
    const other = members[2].doc.getText('t');
    await new Promise<void>((resolve) => (other.toString() === 'still here' ? resolve() : other.observe(() => other.toString() === 'still here' && resolve())));
    destroyAll(members.map((member) => member.provider));
    assert.equal(await server.server.metrics.hitsOf('connections-per-document'), 1);
  });
});
