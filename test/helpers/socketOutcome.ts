import type { WebSocket } from 'ws';

export interface SocketClose {
  code: number;
  reason: string;
}

/**
 * How a test client's socket ends up: `opened` settles with the upgrade (rejected on an HTTP
 * refusal or an error, never unhandled), `closed` with the close code and reason.
 */
export function socketOutcome(ws: WebSocket): { opened: Promise<void>; closed: Promise<SocketClose> } {
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
  opened.catch(() => undefined);
  const closed = new Promise<SocketClose>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { opened, closed };
}
