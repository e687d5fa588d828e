import { performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import { WebSocket } from 'ws';

/** y-protocols: message type 0 (sync) with sub-types step 1, step 2; 2 is auth. */
const messageSync = 0;
const messageAuth = 2;
const syncStep1 = 0;
const syncStep2 = 1;
/** Our step 1 (an empty state vector) and our answer to the server's step 1 (nothing to give). */
const ourStep1 = new Uint8Array([messageSync, syncStep1, 1, 0]);
const ourStep2 = new Uint8Array([messageSync, syncStep2, 2, 0, 0]);

export interface StormOutcome {
  /** From the first `new WebSocket` until the last client synced (or failed). */
  allSyncedMs: number;
  /** Each client's synced time, sorted. */
  syncedAtMs: number[];
  errors: number;
  firstError: string | null;
}

/**
 * `clients` raw y-websocket sockets opened in the same turn, client i on document i % docs; each
 * sends its step 1, answers the server's step 1 with an empty step 2, and counts as synced once
 * the server's step 2 arrives. Nothing else runs on the client side: it must stay cheaper than
 * the servers it compares.
 */
export async function connectStorm(serverUrl: string, token: string | null, clients: number, docs: number, namePrefix: string, timeoutMs = 30_000): Promise<{ outcome: StormOutcome; close: () => void }> {
  const started = performance.now();
  const sockets: WebSocket[] = [];
  const syncedAt: number[] = [];
  let firstError: string | null = null;
  const results = await Promise.allSettled(
    Array.from({ length: clients }, (_, index) => {
      const ws = new WebSocket(`${serverUrl}/${namePrefix}-${index % docs}`, token === null ? [] : ['Bearer', token], { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      sockets.push(ws);
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
        const fail = (error: Error) => {
          clearTimeout(timer);
          reject(error);
        };
        ws.on('error', fail);
        ws.once('close', (code) => fail(new Error(`closed ${code} before synced`)));
        ws.once('open', () => ws.send(ourStep1));
        ws.on('message', (data: Buffer) => {
          const decoder = decoding.createDecoder(data);
          const type = decoding.readVarUint(decoder);
          if (type === messageAuth) return fail(new Error('permission denied'));
          if (type !== messageSync) return;
          const subType = decoding.readVarUint(decoder);
          if (subType === syncStep1) ws.send(ourStep2);
          else if (subType === syncStep2) {
            clearTimeout(timer);
            syncedAt.push(performance.now() - started);
            ws.removeAllListeners('close');
            ws.removeAllListeners('message');
            resolve();
          }
        });
      });
    }),
  );
  const allSyncedMs = performance.now() - started;
  let errors = 0;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    errors++;
    firstError ??= String((result.reason as Error).message);
  }
  const close = () => {
    for (const ws of sockets) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
  };
  return { outcome: { allSyncedMs, syncedAtMs: syncedAt.sort((a, b) => a - b), errors, firstError }, close };
}
