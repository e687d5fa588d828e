import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { withTimeout } from './yjsClient.js';

/** RFC 6455 opcodes, the reserved ones included (a test sends those on purpose). */
export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, reserved3: 0x3, close: 0x8, ping: 0x9, pong: 0xa, reservedB: 0xb } as const;

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** Default true; false leaves a message open for continuation frames. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Default true: RFC 6455 requires clients to mask; false builds the frame a server may not accept. */
  mask?: boolean;
  /**
   * The payload length the header announces instead of the real one. With `headerOnly` nothing
   * but the header (and mask key) is built: a frame that promises more than it carries.
   */
  announcedLength?: number;
  headerOnly?: boolean;
}

/** One client frame, byte for byte as the spec lays it out, with any bits a test wants set. */
export function clientFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'utf8') : Buffer.from(spec.payload ?? new Uint8Array(0));
  const length = spec.announcedLength ?? payload.length;
  const masked = spec.mask ?? true;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv1 ? 0x40 : 0) | (spec.rsv2 ? 0x20 : 0) | (spec.rsv3 ? 0x10 : 0) | (spec.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, maskBit | length]);
  else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(length, 2);
    header[1] = maskBit | 126;
  } else {
    header = Buffer.alloc(10);
    header.writeBigUInt64BE(BigInt(length), 2);
    header[1] = maskBit | 127;
  }
  header[0] = first;
  const key = masked ? randomBytes(4) : Buffer.alloc(0);
  if (spec.headerOnly) return Buffer.concat([header, key]);
  const body = Buffer.from(payload);
  if (masked) for (let index = 0; index < body.length; index++) body[index] ^= key[index & 3];
  return Buffer.concat([header, key, body]);
}

/** A close frame's payload: the two-byte code, then the reason (text, or raw bytes such as bad UTF-8). */
export function closePayload(code: number, reason: Uint8Array | string = ''): Buffer {
  const code16 = Buffer.alloc(2);
  code16.writeUInt16BE(code);
  return Buffer.concat([code16, typeof reason === 'string' ? Buffer.from(reason, 'utf8') : Buffer.from(reason)]);
}

/** One message in `count` frames carrying `chunk` each: a data frame, then continuations; `finish` false leaves it open. */
export function fragmentedMessage(opcode: number, count: number, chunk: Uint8Array, finish = true): Buffer {
  const frames: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    frames.push(clientFrame({ opcode: index === 0 ? opcode : Opcode.continuation, fin: finish && index === count - 1, payload: chunk }));
  }
  return Buffer.concat(frames);
}

/** A frame as the server sent it (servers never mask). */
export interface ServerWireFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export interface WireClose {
  code: number;
  reason: string;
}

/** The parsed head of an HTTP response. */
export interface HttpHead {
  status: number;
  headers: Record<string, string>;
}

export interface UpgradeOptions {
  /** Offered as `Sec-WebSocket-Protocol` (e.g. `['Bearer', token]`). */
  protocols?: string[];
  /** Written before the standard upgrade headers, in order (2,000 of them, say). */
  leadingHeaders?: Array<[string, string]>;
  /** Written after the standard upgrade headers (and the subprotocol), in order. */
  trailingHeaders?: Array<[string, string]>;
  /** Bytes written in the same TCP write as the request, before any answer came. */
  trailingBytes?: Buffer;
}

/** A hand-built HTTP/1.1 upgrade request for `path` (not normalised, not encoded: sent as given). */
export function upgradeRequest(path: string, options: UpgradeOptions = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of options.leadingHeaders ?? []) lines.push(`${name}: ${value}`);
  lines.push('Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13');
  if (options.protocols) lines.push(`Sec-WebSocket-Protocol: ${options.protocols.join(', ')}`);
  for (const [name, value] of options.trailingHeaders ?? []) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * A WebSocket client on a bare `node:net` socket: it writes the upgrade and frames by hand and
 * parses what comes back, so it can say exactly what a server did with a frame no library sends.
 */
export class WireSocket {
  readonly frames: ServerWireFrame[] = [];
  /** The response head (101 on an upgrade), or null when the socket ended before one. */
  readonly head: Promise<HttpHead | null>;
  /** TCP is gone (either side). */
  readonly ended: Promise<void>;
  /** The response bytes before the frames: the whole answer when it was not an upgrade. */
  responseText = '';
  private buffered = Buffer.alloc(0);
  private upgraded = false;
  /** The server's close frame (1005 when it had no code). */
  private close: WireClose | null = null;
  private readonly waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    let settleHead!: (head: HttpHead | null) => void;
    this.head = new Promise((resolve) => (settleHead = resolve));
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    let headParsed = false;
    socket.on('data', (chunk: Buffer) => {
      if (headParsed && !this.upgraded) {
        this.responseText += chunk.toString('latin1');
        return;
      }
      this.buffered = Buffer.concat([this.buffered, chunk]);
      if (!headParsed) {
        const end = this.buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        headParsed = true;
        this.responseText = this.buffered.subarray(0, end + 4).toString('latin1');
        const head = parseHead(this.responseText);
        this.buffered = this.buffered.subarray(end + 4);
        this.upgraded = head.status === 101;
        settleHead(head);
        if (!this.upgraded) this.responseText += this.buffered.toString('latin1');
      }
      if (this.upgraded) this.readFrames();
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.once('close', () => {
      // An answer without a blank line (or none at all) still tells what the server said.
      if (!headParsed && this.buffered.length > 0) this.responseText = this.buffered.toString('latin1');
      settleHead(this.responseText === '' ? null : parseHead(this.responseText));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Connects and writes the upgrade request; `head` tells how the server answered. */
  static open(port: number, path: string, options: UpgradeOptions = {}): WireSocket {
    const socket = connect(port, '127.0.0.1');
    const wire = new WireSocket(socket);
    const request = Buffer.from(upgradeRequest(path, options), 'latin1');
    socket.write(options.trailingBytes ? Buffer.concat([request, options.trailingBytes]) : request);
    return wire;
  }

  /** Waits for the 101 and fails with what came instead. */
  async upgrade(timeoutMs = 5000): Promise<void> {
    const head = await withTimeout(this.head, timeoutMs, 'the upgrade answer');
    if (head?.status !== 101) throw new Error(`no upgrade: ${head ? `HTTP ${head.status}` : 'socket ended'}`);
  }

  write(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** The server's close frame as soon as it arrives (not waiting for TCP to end), or null if TCP ended first. */
  async waitForCloseFrame(timeoutMs = 5000): Promise<WireClose | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.close || this.socket.destroyed) return this.close;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no close frame within ${timeoutMs} ms; got opcodes ${JSON.stringify(this.frames.map((frame) => frame.opcode))}`);
      await withTimeout(new Promise<void>((resolve) => this.waiters.push(resolve)), left, 'a close frame').catch(() => undefined);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readFrames(): void {
    for (;;) {
      const frame = readServerFrame(this.buffered);
      if (!frame) return;
      this.buffered = this.buffered.subarray(frame.size);
      this.frames.push(frame.frame);
      if (frame.frame.opcode === Opcode.close && !this.close) {
        const payload = frame.frame.payload;
        this.close = payload.length >= 2 ? { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') } : { code: 1005, reason: '' };
      }
    }
  }
}

function parseHead(text: string): HttpHead {
  const [statusLine, ...lines] = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}

function readServerFrame(buffer: Buffer): { frame: ServerWireFrame; size: number } | null {
  if (buffer.length < 2) return null;
  let length = buffer[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return null;
  return { frame: { fin: (buffer[0] & 0x80) !== 0, opcode: buffer[0] & 0x0f, payload: Buffer.from(buffer.subarray(offset, offset + length)) }, size: offset + length };
}
