import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import * as Y from 'yjs';
import { readerUrl, type RunningServer } from '../../shared/serverUnderTest.js';
import { withDeadline } from '../../shared/withDeadline.js';
import { YjsWireClient } from '../../shared/yjsWireClient.js';

export interface JoinSpec {
  /** Size of the document's encoded state to build (about; whole batches of entries). */
  targetBytes: number;
  joins: number;
}

export type JoinResult =
  | { kind: 'join'; docBytes: number; buildMs: number; joinMs: number[]; medianMs: number; maxMs: number; verified: number }
  | { kind: 'skipped'; reason: string };

const builderClientId = 2_000_000;
const entriesPerBatch = 1_000;
const valueLength = 200;
const mapName = 'join';

/**
 * A document of ~targetBytes, written once by a writer in batches (~200 KB updates, as an
 * editor's import would arrive), then `joins` fresh clients one after another: each one's time
 * from `new WebSocket` to the server's sync step 2 (the whole document) arriving. Each copy is
 * checked against the builder's document afterwards (outside the timing).
 */
export async function runJoinScenario(server: RunningServer, spec: JoinSpec, docName: string): Promise<JoinResult> {
  if (!server.keepsDocuments) return { kind: 'skipped', reason: 'the relay keeps no document' };
  const built = buildDocument(spec.targetBytes);
  const buildStarted = performance.now();
  let stored = 0;
  let storedReached: () => void = () => undefined;
  const storedAll = new Promise<void>((resolve) => (storedReached = resolve));
  const finalClock = Y.getState(built.doc.store, builderClientId);
  // The builder's echo says how far the server has taken the document in (merged or not).
  const builder = await YjsWireClient.connect({
    serverUrl: server.writerUrl,
    docName,
    token: server.token,
    dialect: server.dialect,
    onUpdate: (update) => {
      stored = Math.max(stored, Y.parseUpdateMeta(update).to.get(builderClientId) ?? 0);
      if (stored >= finalClock) storedReached();
    },
  });
  try {
    for (const update of built.updates) builder.sendUpdate(update);
    await withDeadline(storedAll, 60_000, 'the server to echo the whole 5 MiB document');
    const buildMs = performance.now() - buildStarted;
    const joinMs: number[] = [];
    let verified = 0;
    for (let index = 0; index < spec.joins; index++) {
      const { ms, copy } = await timedJoin(server, docName, index);
      joinMs.push(ms);
      if (sameDocument(copy, built.doc)) verified++;
    }
    const sorted = [...joinMs].sort((a, b) => a - b);
    return { kind: 'join', docBytes: built.bytes, buildMs, joinMs, medianMs: sorted[Math.floor((sorted.length - 1) / 2)], maxMs: sorted[sorted.length - 1], verified };
  } finally {
    builder.close();
  }
}

async function timedJoin(server: RunningServer, docName: string, index: number): Promise<{ ms: number; copy: Y.Doc }> {
  const received: Uint8Array[] = [];
  const started = performance.now();
  const socket = await YjsWireClient.connect({
    serverUrl: readerUrl(server, server.readerUrls.length - 1 - (index % server.readerUrls.length)),
    docName,
    token: server.token,
    dialect: server.dialect,
    handshakeTimeoutMs: 30_000,
    // Copied: the frame's buffer belongs to ws, and applying 5 MiB here would be timed too.
    onUpdate: (update) => received.push(update.slice()),
  });
  const ms = performance.now() - started;
  socket.close();
  const copy = new Y.Doc();
  for (const update of received) Y.applyUpdate(copy, update);
  return { ms, copy };
}

function sameDocument(copy: Y.Doc, original: Y.Doc): boolean {
  return copy.getMap(mapName).size === original.getMap(mapName).size && isDeepStrictEqual(Y.decodeStateVector(Y.encodeStateVector(copy)), Y.decodeStateVector(Y.encodeStateVector(original)));
}

/** Map entries of 200 pseudo-random letters, in batches of 1,000 (one update each). */
function buildDocument(targetBytes: number): { doc: Y.Doc; updates: Uint8Array[]; bytes: number } {
  const doc = new Y.Doc();
  doc.clientID = builderClientId;
  const map = doc.getMap<string>(mapName);
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  let bytes = 0;
  let seed = 42;
  const letter = () => String.fromCharCode(97 + ((seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) % 26));
  for (let batch = 0; bytes < targetBytes; batch++) {
    doc.transact(() => {
      for (let index = 0; index < entriesPerBatch; index++) map.set(`e${batch}:${index}`, Array.from({ length: valueLength }, letter).join(''));
    });
    bytes += updates[updates.length - 1].length;
  }
  return { doc, updates, bytes: Y.encodeStateAsUpdate(doc).length };
}
