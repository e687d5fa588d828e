import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { awarenessFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { authFrame, hocuspocusSyncFrame, RawHocuspocusClient } from '../helpers/rawHocuspocusClient.js';
import { recordSocketWrites, type SocketWriteRecording } from '../helpers/socketWrites.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

/** Counts the server's writes to each connection, by the client's port. */
function recordServerWrites(serverPort: number): SocketWriteRecording<number> {
  return recordSocketWrites((socket) => (socket.localPort === serverPort ? socket.remotePort : undefined));
}

function tcpOf(client: { ws: unknown }): Socket {
  const socket = (client.ws as { _socket: Socket | null })._socket;
  assert.ok(socket, 'the client is connected');
  return socket;
}

function localPortOf(client: { ws: unknown }): number {
  const port = tcpOf(client).localPort;
  assert.ok(port !== undefined, 'the client socket has a local port');
  return port;
}

/** The client's frames go out in one TCP write, so the server reads them in one turn. */
function whileClientCorked(client: { ws: unknown }, send: () => void): void {
  const socket = tcpOf(client);
  socket.cork();
  send();
  socket.uncork();
}

/** A y-websocket client in `name` whose awareness the server holds, so a joiner is sent the room's awareness. */
async function presentIn(server: TestServer, name: string, token: string, clientId: number): Promise<RawClient> {
  const present = RawClient.connect(server.url, name, ['Bearer', token]);
  await present.outcome();
  present.send(awarenessFrame([{ clientId, clock: 1, state: { user: 'present' } }]));
  await present.waitForFrame((frame) => frame.type === 1);
  return present;
}

describe('the writes of a document connect', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("PERF-9: the 101, the session's step 1 and the room's awareness leave in one writev", async () => {
    const token = await server.token();
    const present = await presentIn(server, 'corked-room', token, 7);

    const recording = recordServerWrites(server.server.port);
    let joiner: RawClient | null = null;
    try {
      joiner = RawClient.connect(server.url, 'corked-room', ['Bearer', token]);
      await joiner.waitForFrame((frame) => frame.type === 0 && frame.subType === 0);
      await joiner.waitForFrame((frame) => frame.type === 1);
      const writes = recording.writesOf(localPortOf(joiner));
      // Uncorked: the 101 is one write, each ws frame (header + payload) one writev.
      assert.ok(writes, 'the server wrote to the joiner');
      assert.equal(writes.syscalls, 1, `${writes.syscalls} write syscalls for ${writes.chunks} chunks`);
      assert.ok(writes.chunks >= 3, `${writes.chunks} chunks`);
    } finally {
      recording.stop();
      joiner?.close();
      present.close();
    }
  });

  it("PERF-9: a Hocuspocus document's Authenticated, step 2, step 1 and the room's awareness leave in one writev", async () => {
    const token = await server.token();
    const present = await presentIn(server, 'corked-hocuspocus', token, 8);

    const provider = RawHocuspocusClient.connect(server.url);
    await provider.opened;
    const recording = recordServerWrites(server.server.port);
    try {
      // The provider's Auth and its step 1 arrive together, as HocuspocusProvider sends them.
      whileClientCorked(provider, () => {
        provider.send(authFrame('corked-hocuspocus', token));
        provider.send(hocuspocusSyncFrame('corked-hocuspocus', 0, new Uint8Array([0])));
      });
      await provider.waitForFrame((frame) => frame.type === 0 && frame.subType === 0);
      await provider.waitForFrame((frame) => frame.type === 1);
      const types = provider.framesOf('corked-hocuspocus').map((frame) => `${frame.type}/${frame.subType ?? '-'}`);
      assert.deepEqual(types.slice(0, 4).sort(), ['0/0', '0/1', '1/-', '2/2'], `frames ${types.join(' ')}`);
      const writes = recording.writesOf(localPortOf(provider));
      assert.ok(writes, 'the server wrote to the provider');
      assert.equal(writes.syscalls, 1, `${writes.syscalls} write syscalls for ${writes.chunks} chunks`);
    } finally {
      recording.stop();
      provider.close();
      present.close();
    }
  });
});
