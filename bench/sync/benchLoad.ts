import { BenchWriter } from '../shared/benchWriter.js';
import { YjsWireClient } from '../shared/yjsWireClient.js';
import { DeliveryLog } from './deliveryLog.js';

export interface LoadLayout {
  docNames: readonly string[];
  readersPerDoc: number;
  token: string;
  /** Where writers connect, and where readers connect (another node: delivery crosses Redis). */
  writerUrl: string;
  readerUrl: string;
}

/** The connected load: per document one writer (with its echo log) and its readers. */
export interface ConnectedLoad {
  writers: BenchWriter[];
  echoes: DeliveryLog[];
  readers: DeliveryLog[];
  sockets: YjsWireClient[];
}

/**
 * Readers connect first, so no update can go by before they listen; then writers. Writer `i`
 * writes document `i`, and its index is its id in every log.
 */
export async function connectLoad(layout: LoadLayout): Promise<ConnectedLoad> {
  const load: ConnectedLoad = { writers: [], echoes: [], readers: [], sockets: [] };
  try {
    await allSettledOrThrow(layout.docNames.flatMap((docName, writer) => Array.from({ length: layout.readersPerDoc }, () => connectReader(layout, load, docName, writer))));
    await allSettledOrThrow(layout.docNames.map((docName, writer) => connectWriter(layout, load, docName, writer)));
  } catch (error) {
    for (const socket of load.sockets) socket.close();
    throw error;
  }
  load.writers.sort((a, b) => a.writer - b.writer);
  load.echoes.sort((a, b) => a.writer - b.writer);
  return load;
}

async function connectReader(layout: LoadLayout, load: ConnectedLoad, docName: string, writer: number): Promise<void> {
  const log = new DeliveryLog(writer);
  const socket = await YjsWireClient.connect({
    serverUrl: layout.readerUrl,
    docName,
    token: layout.token,
    onUpdate: (update, receivedAt) => log.record(update, receivedAt),
  });
  load.readers.push(log);
  load.sockets.push(socket);
}

async function connectWriter(layout: LoadLayout, load: ConnectedLoad, docName: string, writer: number): Promise<void> {
  const benchWriter = new BenchWriter(writer);
  const echo = new DeliveryLog(writer);
  const socket = await YjsWireClient.connect({
    serverUrl: layout.writerUrl,
    docName,
    token: layout.token,
    answerStep1: (stateVector) => benchWriter.missingFor(stateVector),
    onUpdate: (update, receivedAt) => echo.record(update, receivedAt),
  });
  benchWriter.attach(socket);
  load.writers.push(benchWriter);
  load.echoes.push(echo);
  load.sockets.push(socket);
}

/** Waits for every connect (so none is left half-open behind a failure), then throws the first error. */
async function allSettledOrThrow(connects: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(connects)).find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
