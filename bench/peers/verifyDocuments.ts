import { isDeepStrictEqual } from 'node:util';
import * as Y from 'yjs';
import { benchMapName } from '../shared/benchWriter.js';
import { connectPooled } from '../shared/connectPool.js';
import { readerUrl, type RunningServer } from '../shared/serverUnderTest.js';
import { YjsWireClient } from '../shared/yjsWireClient.js';
import type { DocumentLoad } from './documentLoad.js';

/** The end-of-run check: a fresh client's copy of each document against what its writers wrote. */
export type Verification = { kind: 'checked'; documents: number; equal: number; firstMismatch: string | null } | { kind: 'skipped'; reason: string };

/**
 * After the last step, one fresh client per document syncs it (from the last reader URL: on
 * two nodes, the node the writers did not write to) and its document must equal the union of
 * the writers' own documents: every entry, every value, the same state vector.
 */
export async function verifyDocuments(server: RunningServer, load: DocumentLoad): Promise<Verification> {
  if (!server.keepsDocuments) return { kind: 'skipped', reason: 'the relay keeps no document' };
  const result = { kind: 'checked' as const, documents: load.docNames.length, equal: 0, firstMismatch: null as string | null };
  const checks = load.docNames.map((docName, doc) => async () => {
    const mismatch = await verifyOne(server, docName, expectedDocument(load, doc));
    if (mismatch === null) result.equal++;
    else result.firstMismatch ??= `${docName}: ${mismatch}`;
  });
  await connectPooled(checks, 16);
  return result;
}

function expectedDocument(load: DocumentLoad, doc: number): Y.Doc {
  const expected = new Y.Doc();
  const first = doc * load.layout.writersPerDoc;
  for (const writer of load.writers.slice(first, first + load.layout.writersPerDoc)) Y.applyUpdate(expected, writer.state());
  return expected;
}

/** Seen: @y/websocket-server needed over 10 s to answer after a rung at 99% CPU. */
const verifyHandshakeTimeoutMs = 120_000;

/** null when equal, else what differs. */
async function verifyOne(server: RunningServer, docName: string, expected: Y.Doc): Promise<string | null> {
  const actual = new Y.Doc();
  const socket = await YjsWireClient.connect({
    serverUrl: readerUrl(server, server.readerUrls.length - 1),
    docName,
    token: server.token,
    dialect: server.dialect,
    onUpdate: (update) => Y.applyUpdate(actual, update),
    // A server the ladder's last rung overloaded may still be working through its backlog;
    // the check is about what it holds, not how fast it answers.
    handshakeTimeoutMs: verifyHandshakeTimeoutMs,
  });
  socket.close();
  const actualMap = actual.getMap(benchMapName).toJSON();
  const expectedMap = expected.getMap(benchMapName).toJSON();
  if (!isDeepStrictEqual(actualMap, expectedMap)) return `${Object.keys(actualMap).length} entries, expected ${Object.keys(expectedMap).length}`;
  if (!isDeepStrictEqual(Y.decodeStateVector(Y.encodeStateVector(actual)), Y.decodeStateVector(Y.encodeStateVector(expected)))) return 'state vectors differ';
  return null;
}
