import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync } from '../helpers/hocuspocusClient.js';
import { authFrame, hocuspocusFrame, hocuspocusSyncFrame, RawHocuspocusClient } from '../helpers/rawHocuspocusClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

/** The spec's lifecycle and limits, through the Hocuspocus dialect: the same session, the same rules. */
describe('the Hocuspocus dialect keeps the lifecycle and the limits (issue 16)', () => {
  let server: TestServer;
  const providers: HocuspocusProvider[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  const raws: RawHocuspocusClient[] = [];
  before(async () => {
    server = await startTestServer({
      config: { graceMs: 300, handshakeTimeoutMs: 400, maxMessagesPerSecond: 20, messageBurst: 40, maxConnectionsPerDocument: 2 },
    });
  });
  after(async () => {
    destroyHocuspocus(providers, sockets);
    for (const raw of raws) raw.close();
    await server.close();
  });

  const socket = () => {
    const made = hocuspocusSocket(server.url);
    sockets.push(made);
    return made;
  };
  const raw = async () => {
    const made = RawHocuspocusClient.connect(server.url);
    raws.push(made);
    await made.opened;
    return made;
  };

  it('LIFE-8/LIFE-9/LIFE-10: a detach starts the grace, a re-attach within it keeps the state, and the grace ends the session', async () => {
    const token = await server.token();
    const shared = socket();
    const first = connectHocuspocus(shared, 'graceful', token);
    providers.push(first.provider);
    await waitForHocuspocusSync(first.provider);
    first.doc.getText('t').insert(0, 'kept');
    await eventually(() => !first.provider.hasUnsyncedChanges, 5000, 'stored');
    first.provider.detach();
    const key = server.key('graceful');
    await eventually(() => server.server.documents.getSession(key)?.lifecycle.state.kind === 'idle', 5000, 'the grace started');
    const second = connectHocuspocus(shared, 'graceful', token, new Y.Doc());
    providers.push(second.provider);
    await waitForHocuspocusSync(second.provider);
    await eventually(() => second.doc.getText('t').toString() === 'kept', 5000, 'the state survived the grace');
    second.provider.destroy();
    await eventually(async () => (await server.stores.routing.getRoute(key)) === null, 5000, 'unpinned after the grace');
  });

  it('LIM-5: a Hocuspocus socket that sends nothing is closed with 1013 after the handshake timeout', async () => {
    const silent = await raw();
    assert.equal((await silent.waitForClose(3000)).code, 1013);
  });

  it('LIM-9: a Hocuspocus socket over the message rate is closed with 4429', async () => {
    const client = await raw();
    client.send(authFrame('rated', await server.token()));
    for (let i = 0; i < 100; i++) client.send(hocuspocusFrame('rated', 3));
    assert.equal((await client.waitForClose()).code, 4429);
  });

  it('LIM-12/HOCUS-3: past the connections per document, the socket is closed with 1013 (a retry cures it)', async () => {
    const token = await server.token();
    const members = [await raw(), await raw()];
    for (const member of members) {
      member.send(authFrame('crowded', token));
      member.send(hocuspocusSyncFrame('crowded', 0, Y.encodeStateVector(new Y.Doc())));
      await member.waitForFrame((frame) => frame.type === 0 && frame.subType === 1);
    }
    const newcomer = await raw();
    newcomer.send(authFrame('crowded', token));
    assert.equal((await newcomer.waitForClose()).code, 1013);
    members[0]!.send(Uint8Array.of(9));
    await members[0]!.waitForFrame((frame) => frame.type === 10);
  });
});
