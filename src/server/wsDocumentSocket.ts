import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';
import type { MinimalSocket, SharedMessage } from '../documents/index.js';
import { whileCorked } from './whileCorked.js';

/** ws's own frame builder (public in ws, missing from @types/ws). */
interface WsSender {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}
const { Sender } = wsModule as unknown as { Sender: WsSender };

/** A binary frame's bytes, header and payload in one buffer: one write per receiver. */
function binaryFrame(payload: Buffer): Buffer {
  return Buffer.concat(Sender.frame(payload, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true }));
}

/**
 * A document socket on `ws`. Broadcasts skip ws's per-send path (an options object, a frame
 * header and a two-buffer writev for every receiver): the frame is built once, by ws's own
 * framer, and the same bytes are written to each receiver's TCP socket. That is safe because
 * per-message compression is off, so ws writes every frame of its own whole and at once: ours
 * cannot land inside one of its frames, and none is written once the socket is not open.
 */
export class WsDocumentSocket implements MinimalSocket {
  constructor(
    private readonly ws: WebSocket,
    private readonly tcp: Duplex,
  ) {}

  send(data: Uint8Array): void {
    this.ws.send(data);
  }

  sendShared(message: SharedMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.tcp.write(message.frame(binaryFrame));
  }

  corked(write: () => void): void {
    whileCorked(this.tcp, write);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}
