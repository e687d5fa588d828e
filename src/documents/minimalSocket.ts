/**
 * The little a document session needs from a socket, so sessions are testable without `ws` and
 * the `ws` wiring stays in `server/`.
 */
export interface MinimalSocket {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}
