import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { connectHocuspocus, destroyHocuspocus, hocuspocusSocket, waitForHocuspocusSync, type HocuspocusClient } from '../helpers/hocuspocusClient.js';
import { hocuspocusFuzzSource, openingFrames } from '../helpers/hocuspocusFuzzFrames.js';
import { hocuspocusFuzzCloseCodes, sendHocuspocusFuzzTraffic } from '../helpers/hocuspocusFuzzTraffic.js';
import { describeFailure } from '../helpers/fuzzTraffic.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

/** Change the seed to explore; a failure names the seed and the frames. */
const seed = 0x5eed_0016;
const totalFrames = 6_000;
const names = ['fz-0', 'fz-1', 'fz-shared'];
/** Edited by clean clients of both dialects the whole time; the fuzz addresses it too. */
const shared = 'fz-shared';
const maxMessageBytes = 64 * 1024;

describe('Hocuspocus frames under fuzz (LIM-6, HOCUS-14)', () => {
  let server: TestServer;
  const providers: HocuspocusProvider[] = [];
  const sockets: HocuspocusProviderWebsocket[] = [];
  const stock: WebsocketProvider[] = [];
  before(async () => {
    server = await startTestServer({ config: { maxMessageBytes, dbUrl: ':memory:', maxConnectsPerIpPerMinute: 0, maxMessagesPerSecond: 1_000_000, messageBurst: 1_000_000, maxAwarenessPerSecond: 1_000_000, maxStatelessPerSecond: 1_000_000, maxPreauthMessages: 200 } });
  });
  after(async () => {
    destroyHocuspocus(providers, sockets);
    destroyAll(stock);
    await server.close();
  });

  const hocuspocus = (name: string, token: string): HocuspocusClient => {
    const socket = hocuspocusSocket(server.url);
    sockets.push(socket);
    const client = connectHocuspocus(socket, name, token);
    providers.push(client.provider);
    return client;
  };

  it(`HOCUS-14/HOCUS-4/LIM-6: ${totalFrames} seeded Hocuspocus frames (every type, bad varints, strange names, huge lengths, floods) never crash the server, close only with the documented codes, and leave a shared document intact`, async () => {
    const token = await server.token();
    const writer = hocuspocus(shared, token);
    let writerDisconnects = 0;
    writer.provider.configuration.websocketProvider.on('disconnect', () => writerDisconnects++);
    const reader = connectClient(server.url, shared, { token });
    stock.push(reader.provider);
    await Promise.all([waitForHocuspocusSync(writer.provider), waitForSync(reader.provider)]);
    let edits = 0;
    const traffic = await sendHocuspocusFuzzTraffic({
      url: server.url,
      sockets: 4,
      opening: openingFrames({ names, token }),
      totalFrames,
      nextBurst: hocuspocusFuzzSource({ seed, maxMessageBytes, names, token }),
      maxMessageBytes,
      burstsPerProbe: 4,
      timeoutMs: 10_000,
      allowedCloseCodes: hocuspocusFuzzCloseCodes,
      onFrame: (index) => {
        if (index % 200 !== 0) return;
        writer.doc.getText('t').insert(writer.doc.getText('t').length, `edit ${edits++}; `);
      },
    });
    assert.equal(traffic.failureCount, 0, `seed 0x${seed.toString(16)}:\n${traffic.failures.slice(0, 3).map(describeFailure).join('\n')}`);
    assert.ok(traffic.closeCodes.has(4400), 'malformed frames were refused with 4400');
    assert.ok(traffic.closeCodes.has(4205), 'a pre-auth flood was reset with 4205');
    assert.ok(traffic.answered > 20, `probes were answered (${traffic.answered}; closes ${JSON.stringify([...traffic.closeCodes])})`);

    // The shared document: every writer edit in it, and the server, the clean clients and fresh
    // clients of both dialects hold one state.
    await eventually(() => !writer.provider.hasUnsyncedChanges, 10_000, 'the writer edits stored');
    const session = server.server.documents.getSession(server.key(shared));
    assert.ok(session, 'the shared document is live');
    const stored = applied(session.encodeState());
    const text = stored.getText('t').toString();
    assert.equal(text.match(/edit \d+; /g)?.length, edits, 'every writer edit is in the document');
    const fresh = hocuspocus(shared, token);
    const freshY = connectClient(server.url, shared, { token });
    stock.push(freshY.provider);
    await Promise.all([waitForHocuspocusSync(fresh.provider), waitForSync(freshY.provider)]);
    const vector = Buffer.from(Y.encodeStateVector(stored));
    for (const [label, doc] of [['writer', writer.doc], ['reader', reader.doc], ['fresh Hocuspocus', fresh.doc], ['fresh y-websocket', freshY.doc]] as const) {
      await eventually(() => Buffer.from(Y.encodeStateVector(doc)).equals(vector) && doc.getText('t').toString() === text, 5000, `${label} holds the stored state`);
    }
    assert.equal(writerDisconnects, 0, 'the clean writer was never disconnected');

    // The fuzzed documents still serve fresh clients of both dialects.
    for (const name of names.slice(0, 2)) {
      const hocus = hocuspocus(name, token);
      const y = connectClient(server.url, name, { token });
      stock.push(y.provider);
      await Promise.all([waitForHocuspocusSync(hocus.provider), waitForSync(y.provider)]);
    }
  });
});

function applied(update: Uint8Array): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc;
}
