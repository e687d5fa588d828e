import { isDeepStrictEqual } from 'node:util';
import * as Y from 'yjs';
import { connectPooled } from '../shared/connectPool.js';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { onAwareness, queryAwareness } from '../shared/wireAwareness.js';
import { withDeadline } from '../shared/withDeadline.js';
import { YjsWireClient } from '../shared/yjsWireClient.js';
import type { SoakLoad } from './soakLoad.js';
import { soakTextName } from './soakWriter.js';

export interface SoakVerification {
  documents: number;
  /** Documents whose copy equals the merge of their editors' own documents. */
  equal: number;
  firstMismatch: string | null;
  /** Awareness states the server holds over all documents, and how many editors are connected and announced. */
  awarenessStates: number;
  awarenessExpected: number;
  firstAwarenessMismatch: string | null;
}

/** The server answers a query only when it holds a state: no answer in this time means none. */
const awarenessAnswerMs = 2_000;

/**
 * At the end, with the editors still connected and idle: one fresh client per document syncs
 * it and must get exactly what its editors wrote (the text and the state vector of the merge of
 * their own documents), then asks for the document's awareness states: one per connected editor,
 * none left behind by the editors that churned (each came back under a new awareness id).
 */
export async function verifySoakDocuments(server: RunningServer, load: SoakLoad): Promise<SoakVerification> {
  const result: SoakVerification = { documents: load.docNames.length, equal: 0, firstMismatch: null, awarenessStates: 0, awarenessExpected: 0, firstAwarenessMismatch: null };
  const checks = load.docNames.map((docName, doc) => async () => {
    const { copy, awarenessStates } = await fetchDocument(server, docName);
    const editors = load.editorsOf(doc);
    const expected = new Y.Doc();
    for (const editor of editors) Y.applyUpdate(expected, editor.writer.state());
    const mismatch = difference(copy, expected);
    if (mismatch === null) result.equal++;
    else result.firstMismatch ??= `${docName}: ${mismatch}`;
    const announced = editors.filter((editor) => editor.phase === 'online' && editor.awarenessClock > 0).length;
    result.awarenessStates += awarenessStates;
    result.awarenessExpected += announced;
    if (awarenessStates !== announced) result.firstAwarenessMismatch ??= `${docName}: ${awarenessStates} states, ${announced} editors connected`;
  });
  await connectPooled(checks, 16);
  return result;
}

async function fetchDocument(server: RunningServer, docName: string): Promise<{ copy: Y.Doc; awarenessStates: number }> {
  const copy = new Y.Doc();
  const socket = await YjsWireClient.connect({
    serverUrl: server.writerUrl,
    docName,
    token: server.token,
    dialect: server.dialect,
    onUpdate: (update) => Y.applyUpdate(copy, update),
  });
  try {
    // The states sent on join came before the handshake ended; the answer to a query comes after.
    const answer = new Promise<number>((resolve) => onAwareness(socket, resolve));
    queryAwareness(socket);
    return { copy, awarenessStates: await withDeadline(answer, awarenessAnswerMs, 'an awareness answer').catch(() => 0) };
  } finally {
    socket.close();
  }
}

/** null when equal, else what differs. */
function difference(actual: Y.Doc, expected: Y.Doc): string | null {
  const actualText = actual.getText(soakTextName).toString();
  const expectedText = expected.getText(soakTextName).toString();
  if (actualText !== expectedText) return `text of ${actualText.length} characters, expected ${expectedText.length}`;
  if (!isDeepStrictEqual(Y.decodeStateVector(Y.encodeStateVector(actual)), Y.decodeStateVector(Y.encodeStateVector(expected)))) return 'state vectors differ';
  return null;
}
