import * as decoding from 'lib0/decoding';
import { WebSocket } from 'ws';
import { socketOutcome, type SocketClose } from './socketOutcome.js';
import { withTimeout } from './yjsClient.js';

export type RawClose = SocketClose;

/** A y-protocols message as the server sent it: its type, sub-type (sync/auth) and payload. */
export interface ServerFrame {
  bytes: Uint8Array;
  type: number;
  subType: number | null;
  payload: Uint8Array | null;
  /** The reason string of an auth (type 2) message. */
  reason: string | null;
}

/**
 * A bare `ws` client for protocol-level tests: it sends hand-built frames and records every
 * frame and the close code the server sends.
 */
export class RawClient {
  readonly frames: ServerFrame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<RawClose>;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ({ opened: this.opened, closed: this.closed } = socketOutcome(ws));
    ws.on('message', (data: Buffer) => {
      this.frames.push(parseServerFrame(new Uint8Array(data)));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static connect(serverUrl: string, docName: string, protocols: string[] | null, headers?: Record<string, string>): RawClient {
    const url = `${serverUrl}/${docName}`;
    return new RawClient(protocols ? new WebSocket(url, protocols, { headers }) : new WebSocket(url, { headers }));
  }

  send(frame: Uint8Array | string): void {
    this.ws.send(frame);
  }

  /** Waits until a received frame matches (frames already received count). */
  async waitForFrame(match: (frame: ServerFrame) => boolean, timeoutMs = 5000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a matching frame');
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), left, 'a frame').catch(() => undefined);
    }
  }

  /** Resolves with the close, failing after the timeout. */
  waitForClose(timeoutMs = 5000): Promise<RawClose> {
    return withTimeout(this.closed, timeoutMs, 'close');
  }

  /** 'open' once the server's first sync frame arrived, else the close code that ended it. */
  async outcome(timeoutMs = 5000): Promise<'open' | RawClose> {
    const opened = this.waitForFrame((frame) => frame.type === 0, timeoutMs).then(() => 'open' as const);
    return Promise.race([opened, this.closed]);
  }

  close(): void {
    this.ws.terminate();
  }
}

export function parseServerFrame(bytes: Uint8Array): ServerFrame {
  const decoder = decoding.createDecoder(bytes);
  const type = decoding.readVarUint(decoder);
  let subType: number | null = null;
  let payload: Uint8Array | null = null;
  let reason: string | null = null;
  if (type === 0) {
    subType = decoding.readVarUint(decoder);
    payload = decoding.readVarUint8Array(decoder);
  } else if (type === 1) {
    payload = decoding.readVarUint8Array(decoder);
  } else if (type === 2) {
    subType = decoding.readVarUint(decoder);
    reason = decoding.readVarString(decoder);
  }
  if (decoding.hasContent(decoder)) throw new Error(`server frame holds more than one message: ${Buffer.from(bytes).toString('hex')}`);
  return { bytes, type, subType, payload, reason };
}
