import { performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import { messageAuth, messageSync, yWebsocketDialect, type WireDialect } from './wireDialect.js';
import { withDeadline } from './withDeadline.js';

/** y-protocols sync message subtypes (fixed by the protocol). */
const syncStep1 = 0;
const syncStep2 = 1;
const syncUpdate = 2;

/** The state vector of an empty document, and the update that carries nothing. */
const emptyStateVector = new Uint8Array([0]);
const emptyUpdate = new Uint8Array([0, 0]);

export interface WireClientOptions {
  serverUrl: string;
  docName: string;
  /** Sent as the dialect wants it (y-websocket: `Bearer` subprotocol); null: no token at all. */
  token: string | null;
  /** The server family's framing; the stock y-websocket protocol when not given. */
  dialect?: WireDialect;
  /** What to answer the server's step 1 with (the writer's missing state; a reader has none). */
  answerStep1?: (stateVector: Uint8Array) => Uint8Array;
  /** Every update the server sends (step 2 payload or update), stamped on arrival. */
  onUpdate: (update: Uint8Array, receivedAt: number) => void;
  /** Longest wait for the handshake (10 s when not given). */
  handshakeTimeoutMs?: number;
}

/**
 * A y-websocket peer speaking raw frames over `ws`, with nothing of the stock provider's
 * machinery (awareness timers, reconnects, a Y.Doc per socket): the load generator must be
 * cheaper than the server it measures.
 */
export class YjsWireClient {
  /** Close events after the handshake (or a server's close message): the run is broken if any arrive. */
  unexpectedCloses = 0;
  private closing = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly prefix: Uint8Array,
  ) {}

  /** Connects and resolves once the handshake is done (the server answered our step 1). */
  static async connect(options: WireClientOptions): Promise<YjsWireClient> {
    const dialect = options.dialect ?? yWebsocketDialect;
    const ws = new WebSocket(dialect.url(options.serverUrl, options.docName), dialect.protocols(options.token), { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    const client = new YjsWireClient(ws, dialect.prefix(options.docName));
    const synced = new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()} during the handshake`)));
      ws.once('open', () => {
        for (const frame of dialect.opening(client.prefix, options.token)) ws.send(frame);
        ws.send(client.encodeSync(syncStep1, emptyStateVector));
      });
      ws.on('message', (data: Buffer) => client.receive(data, options, dialect, resolve, reject));
    });
    try {
      await withDeadline(synced, options.handshakeTimeoutMs ?? 10_000, `the handshake on ${options.docName}`);
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
    this.ws.send(this.encodeSync(syncUpdate, update));
  }

  /**
   * A message of another type, sent as it is (awareness, query-awareness). Only for the
   * y-websocket dialect: a Hocuspocus prefix is not added.
   */
  sendFrame(frame: Uint8Array): void {
    this.ws.send(frame);
  }

  /** Every frame the server sends from now on, undecoded (for messages this client does not read itself). */
  onFrame(listener: (data: Buffer) => void): void {
    this.ws.on('message', listener);
  }

  /** Bytes `ws` holds that the kernel has not taken yet (a sign the server stopped reading). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(): void {
    this.closing = true;
    this.ws.close(1000);
  }

  private receive(data: Buffer, options: WireClientOptions, dialect: WireDialect, synced: () => void, failed: (error: Error) => void): void {
    const receivedAt = performance.now();
    const decoder = decoding.createDecoder(data);
    // The document-name prefix (Hocuspocus): skipped by its length, not decoded into a string.
    // (Read first: `pos += read()` would add to the position from before the read.)
    if (this.prefix.length > 0) {
      const nameLength = decoding.readVarUint(decoder);
      decoder.pos += nameLength;
    }
    const type = decoding.readVarUint(decoder);
    if (type === messageAuth) {
      const outcome = dialect.readAuth(decoder);
      if (outcome.kind === 'denied') failed(new Error(`permission denied: ${outcome.reason}`));
      return;
    }
    if (type === dialect.closeType && !this.closing) {
      this.unexpectedCloses++;
      failed(new Error('the server closed the document connection'));
      return;
    }
    // Awareness, query-awareness, Hocuspocus sync status: the benchmark sends no awareness and
    // needs no acknowledgements, so nothing to do.
    if (type !== messageSync) return;
    const subType = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (subType === syncStep1) {
      this.ws.send(this.encodeSync(syncStep2, options.answerStep1?.(payload) ?? emptyUpdate));
      return;
    }
    if (payload.length > 2) options.onUpdate(payload, receivedAt);
    if (subType === syncStep2) synced();
  }

  private encodeSync(subType: number, payload: Uint8Array): Uint8Array {
    const encoder = encoding.createEncoder();
    if (this.prefix.length > 0) encoding.writeUint8Array(encoder, this.prefix);
    encoding.writeVarUint(encoder, messageSync);
    encoding.writeVarUint(encoder, subType);
    encoding.writeVarUint8Array(encoder, payload);
    return encoding.toUint8Array(encoder);
  }
}
