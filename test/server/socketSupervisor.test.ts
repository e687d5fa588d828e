import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { TestServer as Server } from '../helpers/testServer.js';
import { awarenessFrame, step1Frame, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

/** A document socket upgraded by hand over raw TCP that then never reads another byte. */
async function upgradeThenStopReading(server: Server, path: string, token: string): Promise<Socket> {
  const { port } = new URL(server.url);
  const tcp = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => tcp.once('connect', resolve));
  tcp.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: Bearer, ${token}\r\n\r\n`,
  );
  await new Promise<void>((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      tcp.off('data', onData);
      tcp.pause();
      resolve();
    };
    tcp.on('data', onData);
  });
  tcp.on('error', () => undefined);
  return tcp;
}

describe('socket supervision: pings, liveness, slow readers, token expiry (LIM-13, LIM-14, LIM-15)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: { pingIntervalMs: 200, livenessTimeoutMs: 700, maxBufferedBytes: 64 * 1024, slowReaderTimeoutMs: 500 },
    });
  });
  after(async () => server.close());

  const url = (doc: string) => `${server.url}/${doc}`;

  it('LIM-13: a socket that answers no ping is terminated after the liveness timeout and its awareness removed for the others', async () => {
    const token = await server.token();
    const watcher = RawClient.connect(server.url, 'silent', ['Bearer', token]);
    // autoPong off: the TCP connection stays up but the peer answers nothing (half-open, or hung).
    const silent = new RawClient(new WebSocket(url('silent'), ['Bearer', token], { autoPong: false }));
    await Promise.all([watcher.opened, silent.opened]);
    silent.send(awarenessFrame([{ clientId: 77, clock: 1, state: { name: 'ghost' } }]));
    await watcher.waitForFrame((frame) => frame.type === 1);
    const startedAt = Date.now();
    const close = await silent.waitForClose(5000);
    const silentForMs = Date.now() - startedAt;
    // Closed with 1013 and terminated at once: the frame may or may not make it out first.
    assert.ok([1013, 1006].includes(close.code), `close ${close.code}`);
    assert.ok(silentForMs >= 400, `cut after ${silentForMs} ms`);
    // The removal (state null) reaches the watcher.
    await watcher.waitForFrame((frame) => frame.type === 1 && Buffer.from(frame.payload!).includes(Buffer.from('null')));
    assert.equal(await server.server.metrics.hitsOf('liveness'), 1);
    watcher.close();
  });

  it('LIM-13: a client that answers pings stays connected well past the liveness timeout', async () => {
    const alive = RawClient.connect(server.url, 'alive', ['Bearer', await server.token()]);
    await alive.opened;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await alive.outcome(100), 'open');
    alive.close();
  });

  it('LIM-14: a client that never reads is closed once its queue stays over the limit; the writer is not slowed', async () => {
    // Its own server: a reader that reads nothing answers no ping either, and liveness must not cut it first.
    const server = await startTestServer({ config: { maxBufferedBytes: 64 * 1024, slowReaderTimeoutMs: 500 } });
    after(() => server.close());
    const token = await server.token();
    const reader = await upgradeThenStopReading(server, '/never-reads', token);
    const writer = RawClient.connect(server.url, 'never-reads', ['Bearer', token]);
    await writer.opened;
    for (let i = 0; i < 100; i++) writer.send(updateFrame(textUpdate(`${i}:${'y'.repeat(256 * 1024)}`, `t${i}`, 6000 + i)));
    await eventually(async () => (await server.server.metrics.hitsOf('slow-reader')) === 1, 10_000, 'the reader cut off');
    const session = server.server.documents.getSession(server.key('never-reads'))!;
    assert.equal(session.connectionCount, 1, 'only the writer is left');
    await writer.waitForFrame(() => writer.frames.filter((frame) => frame.type === 0 && frame.subType === 2).length >= 1, 5000);
    writer.send(step1Frame());
    await writer.waitForFrame((frame) => frame.type === 0 && frame.subType === 1);
    reader.resume();
    await new Promise((resolve) => reader.once('close', resolve));
    writer.close();
  });

  it('LIM-15: when the token expires mid-session the document socket is closed with 4401, after an auth message', async () => {
    const client = RawClient.connect(server.url, 'expiring', ['Bearer', await server.token({ ttlSeconds: 1 })]);
    await client.opened;
    const close = await client.waitForClose(4000);
    assert.equal(close.code, 4401);
    assert.match(client.frames.find((frame) => frame.type === 2)?.reason ?? '', /expired/);
  });

  it('LIM-15: when the token expires mid-session the board socket is closed with 4401', async () => {
    const { client } = await RawBoardClient.join(server.url, 'expiring-board', await server.token({ ttlSeconds: 1 }));
    const close = await client.waitForClose(4000);
    assert.equal(close.code, 4401);
  });
});
