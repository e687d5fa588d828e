import { performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import { withDeadline } from './withDeadline.js';

/** y-protocols numbers (fixed by the protocol; src/documents/protocol.ts has the same). */
const messageSync = 0;
const messageAuth = 2;
const syncStep1 = 0;
const syncStep2 = 1;
const syncUpdate = 2;

/** The state vector of an empty document, and the update that carries nothing. */
const emptyStateVector = new Uint8Array([0]);
const emptyUpdate = new Uint8Array([0, 0]);

export interface WireClientOptions {
  serverUrl: string;
  docName: string;
  token: string;
  /** What to answer the server's step 1 with (the writer's missing state; a reader has none). */
  answerStep1?: (stateVector: Uint8Array) => Uint8Array;
  /** Every update the server sends (step 2 payload or update), stamped on arrival. */
  onUpdate: (update: Uint8Array, receivedAt: number) => void;
}

/**
 * A y-websocket peer speaking raw frames over `ws`, with nothing of the stock provider's
 * machinery (awareness timers, reconnects, a Y.Doc per socket): the load generator must be
 * cheaper than the server it measures.
 */
export class YjsWireClient {
  /** Close events after the handshake: the run is broken if any arrive. */
  unexpectedCloses = 0;
  private closing = false;

  private constructor(private readonly ws: WebSocket) {}

  /** Connects and resolves once the handshake is done (the server answered our step 1). */
  static async connect(options: WireClientOptions): Promise<YjsWireClient> {
    const ws = new WebSocket(`${options.serverUrl}/${encodeURIComponent(options.docName)}`, ['Bearer', options.token], { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    const client = new YjsWireClient(ws);
    const synced = new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()} during the handshake`)));
      ws.once('open', () => ws.send(encodeSync(syncStep1, emptyStateVector)));
      ws.on('message', (data: Buffer) => client.receive(data, options, resolve, reject));
    });
    try {
      await withDeadline(synced, 10_000, `the handshake on ${options.docName}`);
    } catch (error) {
      ws.terminate();
      throw error;
    }
    ws.removeAllListeners('error');
    ws.removeAllListeners('close');
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (!client.closing) client.unexpectedCloses++;
    });
    return client;
  }

  sendUpdate(update: Uint8Array): void {
    this.ws.send(encodeSync(syncUpdate, update));
  }

  /** Bytes `ws` holds that the kernel has not taken yet (a sign the server stopped reading). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(): void {
    this.closing = true;
    this.ws.close(1000);
  }

  private receive(data: Buffer, options: WireClientOptions, synced: () => void, failed: (error: Error) => void): void {
    const receivedAt = performance.now();
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === messageAuth) {
      decoding.readVarUint(decoder);
      failed(new Error(`permission denied: ${decoding.readVarString(decoder)}`));
      return;
    }
    // Awareness and query-awareness: the benchmark sends no awareness, so nothing to do.
    if (type !== messageSync) return;
    const subType = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (subType === syncStep1) {
      this.ws.send(encodeSync(syncStep2, options.answerStep1?.(payload) ?? emptyUpdate));
      return;
    }
    if (payload.length > 2) options.onUpdate(payload, receivedAt);
    if (subType === syncStep2) synced();
  }
}

function encodeSync(subType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageSync);
  encoding.writeVarUint(encoder, subType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}
