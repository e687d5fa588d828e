import type { ClientBoardMessage } from '../boards/boardProtocol.js';

/**
 * The little the client needs from a WebSocket, met by the browser's and by the `ws` package's.
 * The handlers' event parameters are `never` on purpose: both classes declare their own event
 * types, and any handler fits a `never` parameter; the client reads only `data`, `code` and
 * `reason`, which both provide.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

export interface ClientSocketListeners {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
}

/** WebSocket readyState values (the same in browsers and `ws`). */
const connecting = 0;
const open = 1;

/**
 * One board socket. After `dispose()` it reports nothing more, so a socket the client replaced
 * can never disturb the state of the one that followed it.
 */
export class ClientSocket {
  private readonly socket: WebSocketLike;
  private disposed = false;

  constructor(WebSocketClass: WebSocketConstructor, url: string, token: string, private readonly listeners: ClientSocketListeners) {
    this.socket = new WebSocketClass(url, ['Bearer', token]);
    this.socket.onopen = () => this.report(() => listeners.open());
    this.socket.onmessage = (event: { data: unknown }) => {
      // The server sends JSON text frames only; anything else is not ours to read.
      if (typeof event.data === 'string') this.report(() => listeners.message(event.data as string));
    };
    this.socket.onclose = (event: { code: number; reason: string }) => this.report(() => listeners.close(event.code, event.reason));
    // An error is always followed by a close, which is where the client reacts.
    this.socket.onerror = () => undefined;
  }

  get isOpen(): boolean {
    return !this.disposed && this.socket.readyState === open;
  }

  send(message: ClientBoardMessage): void {
    if (this.isOpen) this.socket.send(JSON.stringify(message));
  }

  /** Closes the socket (when it still can be) and stops listening to it. */
  dispose(code = 1000, reason = ''): void {
    if (this.disposed) return;
    this.disposed = true;
    // The error handler stays: `ws` throws an error event that has no listener.
    this.socket.onopen = this.socket.onmessage = this.socket.onclose = null;
    if (this.socket.readyState === connecting || this.socket.readyState === open) this.socket.close(code, reason);
  }

  private report(call: () => void): void {
    if (!this.disposed) call();
  }
}
