import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HttpRouteDependencies {
  /** Rejects when a store the node needs does not answer. */
  checkReady(): Promise<void>;
}

/** Plain HTTP endpoints: liveness and readiness (DESIGN.md "Endpoints"). */
export async function handleHttpRequest(request: IncomingMessage, response: ServerResponse, deps: HttpRouteDependencies): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'method not allowed' });
  switch (path) {
    case '/healthz':
      return sendJson(response, 200, { status: 'ok' });
    case '/readyz':
      return readiness(response, deps);
    default:
      return sendJson(response, 404, {
        error: 'not found',
        hint: 'documents are served over WebSocket at ws://<host>/<documentName> with the subprotocols ["Bearer", <token>]',
      });
  }
}

async function readiness(response: ServerResponse, deps: HttpRouteDependencies): Promise<void> {
  try {
    await deps.checkReady();
    sendJson(response, 200, { ready: true });
  } catch (error) {
    sendJson(response, 503, { ready: false, error: error instanceof Error ? error.message : String(error) });
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
