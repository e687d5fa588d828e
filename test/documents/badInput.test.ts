import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Socket } from 'node:net';
import { step1Frame, syncFrame, textOf, textUpdate, updateFrame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

describe('documents: bad input', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { maxMessageBytes: 64 * 1024, handshakeTimeoutMs: 400 } });
  });
  after(async () => server.close());

  const open = async (doc: string) => {
    const raw = RawClient.connect(server.url, doc, ['Bearer', await server.token()]);
    await raw.opened;
    return raw;
  };

  it('LIM-1: a message over --max-message-bytes -> 1009', async () => {
    const raw = await open('big');
    raw.send(new Uint8Array(100 * 1024));
    assert.equal((await raw.waitForClose()).code, 1009);
  });

  it('LIM-3: a text frame on a document socket -> 4400', async () => {
    const raw = await open('text');
    raw.send('hello');
    assert.equal((await raw.waitForClose()).code, 4400);
  });

  const malformed: Array<[string, Uint8Array]> = [
    ['a truncated varint', new Uint8Array([0x80])],
    ['an unknown message type', new Uint8Array([7, 0])],
    ['an unknown sync sub-type', new Uint8Array([0, 9, 0])],
    ['a length prefix past the frame', new Uint8Array([0, 2, 50, 1, 2, 3])],
    ['an empty update', syncFrame(2, new Uint8Array(0))],
    ['an update that does not decode', syncFrame(2, new Uint8Array([5, 200, 1, 7, 7, 7, 7]))],
    ['an empty frame', new Uint8Array(0)],
  ];
  for (const [what, frame] of malformed) {
    it(`LIM-2: ${what} -> 4400, nothing applied, the others unharmed`, async () => {
      const doc = `bad-${what.replace(/\W+/g, '-')}`;
      const good = await open(doc);
      good.send(updateFrame(textUpdate('intact')));
      await good.waitForFrame((f) => f.type === 0 && f.subType === 2);
      const bad = await open(doc);
      bad.send(frame);
      assert.equal((await bad.waitForClose()).code, 4400);
      good.send(updateFrame(textUpdate('+more', 't', 31337)));
      await good.waitForFrame(() => good.frames.filter((f) => f.type === 0 && f.subType === 2).length === 2);
      const state = server.server.documents.getSession(server.key(doc))!.encodeState();
      assert.ok(['intact+more', '+moreintact'].includes(textOf([state])));
      good.close();
    });
  }

  // An empty name is not a y-websocket document: `/` is the Hocuspocus endpoint (HOCUS-1).
  const badNames: Array<[string, string]> = [
    ['513 bytes long', 'x'.repeat(513)],
    ['badly percent-encoded', '%E0%A4%A'],
    ['holding NUL', 'a%00b'],
    ['holding a newline', 'a%0Ab'],
  ];
  for (const [what, name] of badNames) {
    it(`LIM-4: a document name ${what} -> 4400`, async () => {
      const raw = RawClient.connect(server.url, name, ['Bearer', await server.token()]);
      assert.equal((await raw.waitForClose()).code, 4400);
    });
  }

  it('LIM-4: a 512-byte name (multi-byte characters counted as bytes) is accepted', async () => {
    const raw = RawClient.connect(server.url, encodeURIComponent('é'.repeat(256)), ['Bearer', await server.token()]);
    assert.equal(await raw.outcome(), 'open');
    raw.close();
    const tooLong = RawClient.connect(server.url, encodeURIComponent('é'.repeat(256) + 'x'), ['Bearer', await server.token()]);
    assert.equal((await tooLong.waitForClose()).code, 4400);
  });

  it('LIM-5: a connection that sends nothing is closed with 1013 after the handshake timeout', async () => {
    const raw = await open('silent');
    const started = Date.now();
    assert.equal((await raw.waitForClose(3000)).code, 1013);
    assert.ok(Date.now() - started >= 350);
  });

  const tcpLifetime = (write: (socket: Socket) => void): Promise<number> =>
    new Promise((resolve) => {
      const started = Date.now();
      const socket = connect(server.server.port, '127.0.0.1', () => write(socket));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
    });

  it('LIM-5: a TCP connection that never completes its upgrade is dropped at the handshake deadline', async () => {
    const [silent, partial, trickled] = await Promise.all([
      tcpLifetime(() => undefined),
      tcpLifetime((socket) => socket.write('GET /doc HTTP/1.1\r\nHost: x\r\n')),
      tcpLifetime((socket) => {
        socket.write('GET /doc HTTP/1.1\r\n');
        const drip = setInterval(() => (socket.writable ? socket.write('X-Slow: 1\r\n') : clearInterval(drip)), 100);
        socket.on('close', () => clearInterval(drip));
      }),
    ]);
    for (const lifetime of [silent, partial, trickled]) assert.ok(lifetime >= 350 && lifetime < 2000, `dropped after ${lifetime} ms`);
  });

  it('LIM-5: an upgraded connection that talks outlives the handshake deadline', async () => {
    const raw = await open('talkative');
    raw.send(step1Frame());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(raw.ws.readyState, raw.ws.OPEN);
    raw.close();
  });

  it('LIM-8: a Sec-WebSocket-Protocol header over 8 KiB is refused with HTTP 400', async () => {
    const raw = RawClient.connect(server.url, 'huge-header', ['Bearer', 'a'.repeat(9000)]);
    await assert.rejects(raw.opened, /HTTP 400/);
  });
});
