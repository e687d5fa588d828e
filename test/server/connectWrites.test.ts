import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { awarenessFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { authFrame, hocuspocusSyncFrame, RawHocuspocusClient } from '../helpers/rawHocuspocusClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

interface SocketWrites {
  /** Write syscalls: one per `_write` or `_writev`. */
  syscalls: number;
  chunks: number;
}

type WriteMethod = (this: Socket, ...args: unknown[]) => void;

/**
 * Counts the write syscalls node makes on the server's side of each connection, by the client's
 * port. Spies on the real sockets (net.Socket's own `_write` and `_writev`); restored by `stop`.
 */
function recordServerWrites(serverPort: number): { byClientPort: Map<number, SocketWrites>; stop: () => void } {
  const prototype = Socket.prototype as unknown as { _write: WriteMethod; _writev: WriteMethod };
  const { _write: write, _writev: writev } = prototype;
  const byClientPort = new Map<number, SocketWrites>();
  const count = (socket: Socket, chunks: number) => {
    if (socket.localPort !== serverPort || socket.remotePort === undefined) return;
    const writes = byClientPort.get(socket.remotePort) ?? { syscalls: 0, chunks: 0 };
    writes.syscalls++;
    writes.chunks += chunks;
    byClientPort.set(socket.remotePort, writes);
  };
  prototype._write = function (this: Socket, ...args: unknown[]) {
    count(this, 1);
    write.apply(this, args);
  };
  prototype._writev = function (this: Socket, ...args: unknown[]) {
    count(this, (args[0] as unknown[]).length);
    writev.apply(this, args);
  };
  return { byClientPort, stop: () => Object.assign(prototype, { _write: write, _writev: writev }) };
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

describe('the writes of a document connect', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("PERF-9: the 101, the session's step 1 and the room's awareness leave in one writev", async () => {
    const token = await server.token();
    const present = RawClient.connect(server.url, 'corked-room', ['Bearer', token]);
    await present.outcome();
    present.send(awarenessFrame([{ clientId: 7, clock: 1, state: { user: 'present' } }]));
    await present.waitForFrame((frame) => frame.type === 1);

    const recording = recordServerWrites(server.server.port);
    let joiner: RawClient | null = null;
    try {
      joiner = RawClient.connect(server.url, 'corked-room', ['Bearer', token]);
      await joiner.waitForFrame((frame) => frame.type === 0 && frame.subType === 0);
      await joiner.waitForFrame((frame) => frame.type === 1);
      const writes = recording.byClientPort.get(localPortOf(joiner));
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
    const present = RawClient.connect(server.url, 'corked-hocuspocus', ['Bearer', token]);
    await present.outcome();
    present.send(awarenessFrame([{ clientId: 8, clock: 1, state: { user: 'present' } }]));
    await present.waitForFrame((frame) => frame.type === 1);

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
      const writes = recording.byClientPort.get(localPortOf(provider));
      assert.ok(writes, 'the server wrote to the provider');
      assert.equal(writes.syscalls, 1, `${writes.syscalls} write syscalls for ${writes.chunks} chunks`);
    } finally {
      recording.stop();
      provider.close();
      present.close();
    }
  });
});
