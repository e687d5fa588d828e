import { BenchWriter } from '../shared/benchWriter.js';
import { connectPooled } from '../shared/connectPool.js';
import { readerUrl, type RunningServer } from '../shared/serverUnderTest.js';
import { YjsWireClient } from '../shared/yjsWireClient.js';
import { ReceiverLog } from './receiverLog.js';

/** docs x clientsPerDoc sockets, of which writersPerDoc per document write. */
export interface DocumentLayout {
  docs: number;
  clientsPerDoc: number;
  writersPerDoc: number;
  /** Unique per scenario run, so documents of two runs never meet. */
  namePrefix: string;
}

/** The connected load: writers by global index (document d has d*W .. d*W+W-1), one log per socket. */
export interface DocumentLoad {
  layout: DocumentLayout;
  docNames: string[];
  writers: BenchWriter[];
  /** Every socket's log, writers' sockets included (they receive the other writers and their echo). */
  receivers: ReceiverLog[];
  sockets: YjsWireClient[];
}

/** In flight at once while a load is set up. */
const setupConcurrency = 64;

/**
 * Readers connect first, so no update can go by before they listen; then the writers (on the
 * writer URL; readers take the reader URLs in turn).
 */
export async function connectDocumentLoad(server: RunningServer, layout: DocumentLayout): Promise<DocumentLoad> {
  const docNames = Array.from({ length: layout.docs }, (_, index) => `${layout.namePrefix}-${index}`);
  const load: DocumentLoad = { layout, docNames, writers: [], receivers: [], sockets: [] };
  const readersPerDoc = layout.clientsPerDoc - layout.writersPerDoc;
  try {
    const readers = docNames.flatMap((_, doc) => Array.from({ length: readersPerDoc }, (_, index) => () => connectReader(server, load, doc, doc * readersPerDoc + index)));
    await connectPooled(readers, setupConcurrency);
    const writers = docNames.flatMap((_, doc) => Array.from({ length: layout.writersPerDoc }, (_, slot) => () => connectWriter(server, load, doc, doc * layout.writersPerDoc + slot)));
    await connectPooled(writers, setupConcurrency);
  } catch (error) {
    closeDocumentLoad(load);
    throw error;
  }
  // The open loop indexes writers by position: position must be the global index.
  load.writers.sort((a, b) => a.writer - b.writer);
  return load;
}

export function closeDocumentLoad(load: DocumentLoad): void {
  for (const socket of load.sockets.splice(0)) socket.close();
}

/** Sockets the server closed after their handshake (any is a failure of the run). */
export function unexpectedCloses(load: DocumentLoad): number {
  return load.sockets.reduce((total, socket) => total + socket.unexpectedCloses, 0);
}

async function connectReader(server: RunningServer, load: DocumentLoad, doc: number, index: number): Promise<void> {
  const log = new ReceiverLog({ firstWriter: doc * load.layout.writersPerDoc, writersPerDoc: load.layout.writersPerDoc, ownWriter: -1 });
  const socket = await YjsWireClient.connect({
    serverUrl: readerUrl(server, index),
    docName: load.docNames[doc],
    token: server.token,
    dialect: server.dialect,
    onUpdate: (update, receivedAt) => log.record(update, receivedAt),
  });
  load.receivers.push(log);
  load.sockets.push(socket);
}

async function connectWriter(server: RunningServer, load: DocumentLoad, doc: number, writer: number): Promise<void> {
  const benchWriter = new BenchWriter(writer);
  const log = new ReceiverLog({ firstWriter: doc * load.layout.writersPerDoc, writersPerDoc: load.layout.writersPerDoc, ownWriter: writer });
  const socket = await YjsWireClient.connect({
    serverUrl: server.writerUrl,
    docName: load.docNames[doc],
    token: server.token,
    dialect: server.dialect,
    answerStep1: (stateVector) => benchWriter.missingFor(stateVector),
    onUpdate: (update, receivedAt) => log.record(update, receivedAt),
  });
  benchWriter.attach(socket);
  load.writers.push(benchWriter);
  load.receivers.push(log);
  load.sockets.push(socket);
}
