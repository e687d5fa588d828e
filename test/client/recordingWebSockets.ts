import { WebSocket } from 'ws';
import type { ClientBoardMessage, ServerBoardMessage } from '../../src/boards/boardProtocol.js';
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/index.js';

/** One socket a client opened: what it sent and received, and a way to cut it. */
export interface RecordedSocket {
  sent: ClientBoardMessage[];
  received: ServerBoardMessage[];
  /** Drops the connection without a close handshake (the client sees 1006). */
  terminate(): void;
}

/**
 * A WebSocket class for BoardClient's `WebSocket` option: real `ws` sockets that record every
 * frame, and can lose chosen incoming ones (an ack lost with a connection, say).
 */
export class RecordingWebSockets {
  readonly sockets: RecordedSocket[] = [];
  /** Frames for which this answers true never reach the client; `socket` is the socket's index. */
  dropIncoming: ((message: ServerBoardMessage, socket: number) => boolean) | null = null;
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    const registry = this;
    this.WebSocket = class RecordingWebSocket implements WebSocketLike {
      onopen: ((event: unknown) => void) | null = null;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onclose: ((event: { code: number; reason: string }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      private readonly inner: WebSocket;
      private readonly record: RecordedSocket;

      constructor(url: string, protocols: string[]) {
        this.inner = new WebSocket(url, protocols);
        this.record = { sent: [], received: [], terminate: () => this.inner.terminate() };
        const index = registry.sockets.push(this.record) - 1;
        this.inner.on('open', () => this.onopen?.({}));
        this.inner.on('message', (data, isBinary) => {
          if (isBinary) return;
          const text = data.toString();
          const message = JSON.parse(text) as ServerBoardMessage;
          this.record.received.push(message);
          if (!registry.dropIncoming?.(message, index)) this.onmessage?.({ data: text });
        });
        this.inner.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
        this.inner.on('error', (error) => this.onerror?.(error));
      }

      get readyState(): number {
        return this.inner.readyState;
      }

      send(data: string): void {
        this.record.sent.push(JSON.parse(data) as ClientBoardMessage);
        this.inner.send(data);
      }

      close(code?: number, reason?: string): void {
        this.inner.close(code, reason);
      }
    };
  }

  get last(): RecordedSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}
