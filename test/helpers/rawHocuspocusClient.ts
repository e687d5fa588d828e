import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import { socketOutcome, type SocketClose } from './socketOutcome.js';
import { withTimeout } from './yjsClient.js';

/** A Hocuspocus message as the server sent it: its document, type, and what follows. */
export interface HocuspocusServerFrame {
  bytes: Uint8Array;
  /** Null for the bare Ping/Pong bytes. */
  name: string | null;
  type: number;
  /** Sync or auth sub-type, SyncStatus value. */
  subType: number | null;
  payload: Uint8Array | null;
  /** Auth scope or reason, stateless payload. */
  text: string | null;
}

/** A bare `ws` client speaking Hocuspocus framing by hand, recording every frame and the close. */
export class RawHocuspocusClient {
  readonly frames: HocuspocusServerFrame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<SocketClose>;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ({ opened: this.opened, closed: this.closed } = socketOutcome(ws));
    ws.on('message', (data: Buffer) => {
      this.frames.push(parseHocuspocusFrame(new Uint8Array(data)));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static connect(serverUrl: string, path = ''): RawHocuspocusClient {
    return new RawHocuspocusClient(new WebSocket(`${serverUrl}${path}`));
  }

  send(frame: Uint8Array): void {
    this.ws.send(frame);
  }

  /** The frames for one document, in order. */
  framesOf(name: string): HocuspocusServerFrame[] {
    return this.frames.filter((frame) => frame.name === name);
  }

  async waitForFrame(match: (frame: HocuspocusServerFrame) => boolean, timeoutMs = 5000): Promise<HocuspocusServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a matching hocuspocus frame');
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), left, 'a frame').catch(() => undefined);
    }
  }

  waitForClose(timeoutMs = 5000): Promise<SocketClose> {
    return withTimeout(this.closed, timeoutMs, 'close');
  }

  close(): void {
    this.ws.terminate();
  }
}

export function parseHocuspocusFrame(bytes: Uint8Array): HocuspocusServerFrame {
  if (bytes.length === 1 && (bytes[0] === 9 || bytes[0] === 10)) return { bytes, name: null, type: bytes[0], subType: null, payload: null, text: null };
  const decoder = decoding.createDecoder(bytes);
  const name = decoding.readVarString(decoder);
  const type = decoding.readVarUint(decoder);
  const frame: HocuspocusServerFrame = { bytes, name, type, subType: null, payload: null, text: null };
  if (type === 0) {
    frame.subType = decoding.readVarUint(decoder);
    frame.payload = decoding.readVarUint8Array(decoder);
  } else if (type === 1) {
    frame.payload = decoding.readVarUint8Array(decoder);
  } else if (type === 2) {
    frame.subType = decoding.readVarUint(decoder);
    if (decoding.hasContent(decoder)) frame.text = decoding.readVarString(decoder);
  } else if (type === 5 || type === 7) {
    frame.text = decoding.readVarString(decoder);
  } else if (type === 8) {
    frame.subType = decoding.readVarUint(decoder);
  }
  if (decoding.hasContent(decoder)) throw new Error(`hocuspocus frame holds more than one message: ${Buffer.from(bytes).toString('hex')}`);
  return frame;
}

/** `name` + `type` + what `write` adds: a client frame. */
export function hocuspocusFrame(name: string, type: number, write: (encoder: encoding.Encoder) => void = () => undefined): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, name);
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** Auth Token, with the provider's version after it as 4.x sends. */
export function authFrame(name: string, token: string): Uint8Array {
  return hocuspocusFrame(name, 2, (encoder) => {
    encoding.writeVarUint(encoder, 0);
    encoding.writeVarString(encoder, token);
    encoding.writeVarString(encoder, '4.8.0');
  });
}

/** A sync message (0 step 1, 1 step 2, 2 update) for a document. */
export function hocuspocusSyncFrame(name: string, subType: 0 | 1 | 2, payload: Uint8Array): Uint8Array {
  return hocuspocusFrame(name, 0, (encoder) => {
    encoding.writeVarUint(encoder, subType);
    encoding.writeVarUint8Array(encoder, payload);
  });
}
