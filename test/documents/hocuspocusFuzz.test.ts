import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { frameHex, fuzzFrameSource, FuzzRandom, type Frame } from '../helpers/fuzzFrames.js';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync } from '../helpers/hocuspocusClient.js';
import { encodeNamePrefix, withPrefix } from '../../src/documents/hocuspocus/encodeHocuspocusMessage.js';
import { authFrame, RawHocuspocusClient } from '../helpers/rawHocuspocusClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync, withTimeout } from '../helpers/yjsClient.js';

/** Change the seed to explore; a failure names the seed and the frame. */
const seed = 0x5eed_0016;
const totalFrames = 3_000;
const framesPerSocket = 150;
const names = ['fz-0', 'fz-1', 'fz-2'];
const maxMessageBytes = 64 * 1024;
/** Close codes a hostile Hocuspocus client may provoke; 1011 (a server bug) is not among them. */
const allowedCloseCodes = new Set([4400, 4205, 1009, 1002, 1008, 1013, 1006]);

/**
 * The y-websocket fuzz corpus (recorded real traffic, mutated), addressed to Hocuspocus
 * documents: types 0-3 mean the same in both dialects. Some frames keep no name (raw bytes).
 */
function hocuspocusFrames(): () => Frame {
  const source = fuzzFrameSource(seed, maxMessageBytes);
  const random = new FuzzRandom(seed ^ 0x16);
  const prefixes = [...names, 'unknown', ''].map(encodeNamePrefix);
  return () => {
    const frame = source();
    if (typeof frame === 'string' || random.int(10) === 0) return frame;
    return withPrefix(random.pick(prefixes), frame);
  };
}

/** Sends a batch on a fresh socket; resolves with its close code, or null when a Ping still gets its Pong. */
async function probe(client: RawHocuspocusClient, frames: Frame[]): Promise<number | null> {
  await client.opened;
  for (const frame of frames) {
    if (client.ws.readyState !== client.ws.OPEN) break;
    client.ws.send(frame);
  }
  if (client.ws.readyState === client.ws.OPEN) client.ws.send(Uint8Array.of(9));
  const pong = client.waitForFrame((frame) => frame.type === 10 && frame.name === null, 5000).then(() => null);
  const closed = client.closed.then((close) => close.code);
  return withTimeout(Promise.race([pong, closed]), 6000, 'a Pong or a close');
}

describe('Hocuspocus frames under fuzz (LIM-6, HOCUS-4)', () => {
  let server: TestServer;
  const providers: HocuspocusProvider[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  before(async () => {
    server = await startTestServer({ config: { maxMessageBytes, maxMessagesPerSecond: 100_000, messageBurst: 100_000 } });
  });
  after(async () => {
    destroyHocuspocus(providers, sockets);
    await server.close();
  });

  it(`LIM-6/HOCUS-4: ${totalFrames} seeded Hocuspocus frames never crash the server; fresh clients of both dialects then agree`, async () => {
    const token = await server.token();
    const next = hocuspocusFrames();
    const codes = new Set<number>();
    for (let sent = 0; sent < totalFrames; sent += framesPerSocket) {
      const client = RawHocuspocusClient.connect(server.url);
      const frames = [...names.map((name) => authFrame(name, token)), ...Array.from({ length: framesPerSocket }, next)];
      const code = await probe(client, frames).catch((error: unknown) => {
        throw new Error(`seed 0x${seed.toString(16)}, batch at ${sent}: ${String(error)}; first frame ${frameHex(frames[names.length]!)}`);
      });
      client.close();
      if (code === null) continue;
      codes.add(code);
      assert.ok(allowedCloseCodes.has(code), `seed 0x${seed.toString(16)}, batch at ${sent}: close ${code}`);
    }
    assert.ok(codes.has(4400), 'malformed frames were refused with 4400');

    for (const name of names) {
      const socket = hocuspocusSocket(server.url);
      sockets.push(socket);
      const hocus = connectHocuspocus(socket, name, token);
      providers.push(hocus.provider);
      const y = connectClient(server.url, name, { token });
      try {
        await Promise.all([waitForHocuspocusSync(hocus.provider), waitForSync(y.provider)]);
        const state = server.server.documents.getSession(server.key(name))?.encodeState();
        assert.ok(state, `${name} is live`);
        const expected = Y.encodeStateVector(applied(state));
        await eventually(() => Buffer.from(Y.encodeStateVector(hocus.doc)).equals(Buffer.from(expected)), 5000, `${name}: the Hocuspocus client holds the state`);
        await eventually(() => Buffer.from(Y.encodeStateVector(y.doc)).equals(Buffer.from(expected)), 5000, `${name}: the y-websocket client holds the state`);
      } finally {
        destroyAll([y.provider]);
      }
    }
  });
});

function applied(update: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc;
}
