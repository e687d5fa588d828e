import type { SharedMessage } from './sharedMessage.js';

/**
 * The little a document session needs from a socket, so sessions are testable without `ws` and
 * the `ws` wiring stays in `server/`.
 */
export interface MinimalSocket {
  send(data: Uint8Array): void;
  /** A broadcast: the same message to many sockets (a socket without it gets `send(payload)`). */
  sendShared?(message: SharedMessage): void;
  /** Runs `write`; what it sends leaves in one syscall where the socket can (PERF-9). */
  corked?(write: () => void): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}
