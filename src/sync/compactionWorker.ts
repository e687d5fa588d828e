import { parentPort } from 'node:worker_threads';
import { integrateUpdates } from './integrateUpdates.js';
import type { CompactionReply, CompactionRequest } from './compactionMerger.js';

/**
 * The worker thread behind `CompactionMerger`: integrating a document's log costs tens of
 * milliseconds per 50,000 structs, which on the main thread would stall every socket.
 */
const port = parentPort;
if (port === null) throw new Error('compactionWorker.js runs as a worker thread only');
port.on('message', (request: CompactionRequest) => {
  let reply: CompactionReply;
  try {
    reply = { id: request.id, merged: integrateUpdates(request.updates) };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply, 'merged' in reply ? [reply.merged.buffer as ArrayBuffer] : []);
});
