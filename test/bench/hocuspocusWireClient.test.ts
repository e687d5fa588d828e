import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server as HocuspocusServer } from '@hocuspocus/server';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { hocuspocusDialect } from '../../bench/shared/wireDialect.js';
import { YjsWireClient } from '../../bench/shared/yjsWireClient.js';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync } from '../helpers/hocuspocusClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

/**
 * The benchmark's load generator frames Hocuspocus by hand (bench/shared/wireDialect.ts); these
 * tests hold that framing to the real thing: against @hocuspocus/server and against wiresocket,
 * each next to a real HocuspocusProvider, updates go both ways.
 */
describe('the load generator speaks Hocuspocus (issue 16 bench)', () => {
  let wiresocket: TestServer;
  let peer: HocuspocusServer;
  const providers: HocuspocusProvider[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  const wires: YjsWireClient[] = [];

  before(async () => {
    wiresocket = await startTestServer();
    peer = new HocuspocusServer({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false });
    await peer.listen();
  });
  after(async () => {
    for (const wire of wires) wire.close();
    destroyHocuspocus(providers, sockets);
    await peer.destroy();
    await wiresocket.close();
  });

  /** A raw wire client and a provider on one document: each sees the other's edit. */
  async function exchange(serverUrl: string, token: string | null, name: string): Promise<void> {
    const received = new Y.Doc();
    const wire = await YjsWireClient.connect({ serverUrl, docName: name, token, dialect: hocuspocusDialect, onUpdate: (update) => Y.applyUpdate(received, update) });
    wires.push(wire);
    const socket = hocuspocusSocket(serverUrl);
    sockets.push(socket);
    const client = connectHocuspocus(socket, name, token ?? '');
    providers.push(client.provider);
    await waitForHocuspocusSync(client.provider);
    client.doc.getText('t').insert(0, 'from the provider;');
    await eventually(() => received.getText('t').toString() === 'from the provider;', 5000, 'the wire client got the provider edit');
    const writer = new Y.Doc();
    writer.getText('w').insert(0, 'from the wire client');
    wire.sendUpdate(Y.encodeStateAsUpdate(writer));
    await eventually(() => client.doc.getText('w').toString() === 'from the wire client', 5000, 'the provider got the wire client edit');
    assert.equal(wire.unexpectedCloses, 0);
  }

  it('HOCUS-13: against @hocuspocus/server 4.x, the raw Hocuspocus framing and a HocuspocusProvider exchange updates', async () => {
    const { port } = peer.httpServer.address() as AddressInfo;
    await exchange(`ws://127.0.0.1:${port}`, null, 'bench-framing');
  });

  it('HOCUS-13: against wiresocket at `/`, with a token, the same framing and the provider exchange updates', async () => {
    await exchange(wiresocket.url, await wiresocket.token(), 'bench-framing');
  });
});
