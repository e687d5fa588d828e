import type { IncomingMessage, ServerResponse } from 'node:http';
import { grantsDocument, type Principal, type TokenVerifier } from '../auth/index.js';
import { boardIdFromUrl, isBoardPath } from '../boards/index.js';
import { WiresocketError } from '../errors.js';
import { documentNameFromUrl } from '../tenancy/index.js';
import { handleAdminRequest, isAdminApiPath, type AdminRoutesDependencies } from './adminRoutes.js';
import type { WebRoutes } from '../web/index.js';
import { authenticateRequest } from './bearerRequest.js';
import { handleDocumentRequest, isDocumentApiPath, type DocumentApi } from './documentRoutes.js';
import type { RouteAnswer } from './routeLookup.js';

export interface HttpRouteDependencies {
  /** Rejects when a store the node needs does not answer. */
  checkReady(): Promise<void>;
  verifier: TokenVerifier;
  /** The full state of a board of the principal's tenant and app. */
  boardState(principal: Principal, boardId: string): Promise<unknown>;
  /** Session counts of the principal's tenant. */
  stats(principal: Principal): unknown;
  /** The Prometheus text exposition and its content type. */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** Where a document of the principal's tenant and app is pinned. */
  route(principal: Principal, documentName: string): Promise<RouteAnswer>;
  /** The document HTTP API (`/v1/documents`). */
  documentApi: DocumentApi;
  /** The admin API (`/v1/admin/`); null: the server has no admin stores, and the paths are unknown. */
  admin: AdminRoutesDependencies | null;
  /** The browser pages (`/`, `/admin`), their assets and the demo's token. */
  web: WebRoutes;
}

const routePrefix = '/v1/route/';

/** Plain HTTP endpoints (DESIGN.md "Endpoints"): health, readiness, metrics, board state, stats. */
export async function handleHttpRequest(request: IncomingMessage, response: ServerResponse, deps: HttpRouteDependencies): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (isDocumentApiPath(path)) return handleDocumentRequest(request, response, path, deps.documentApi);
  if (deps.admin && isAdminApiPath(path)) return handleAdminRequest(request, response, path, deps.admin);
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'method not allowed' });
  try {
    if (path === '/healthz') return sendJson(response, 200, { status: 'ok' });
    if (path === '/readyz') return await readiness(response, deps);
    if (path === '/metrics') return await metrics(response, deps);
    if (isBoardPath(path)) return await boardState(request, response, path, deps);
    if (path.startsWith(routePrefix)) return await routeLookup(request, response, path, deps);
    if (path === '/v1/stats') return sendJson(response, 200, deps.stats(await authenticate(request, deps.verifier)));
    if (await deps.web.handle(request, response, path)) return;
  } catch (error) {
    if (!(error instanceof WiresocketError)) throw error;
    return sendJson(response, error.httpStatus, { error: error.code, message: error.message });
  }
  return sendJson(response, 404, {
    error: 'not found',
    hint: 'documents are served over WebSocket at ws://<host>/<documentName> with the subprotocols ["Bearer", <token>]',
  });
}

async function boardState(request: IncomingMessage, response: ServerResponse, path: string, deps: HttpRouteDependencies): Promise<void> {
  const boardId = boardIdFromUrl(path);
  const principal = await authenticate(request, deps.verifier);
  if (!grantsDocument(principal, boardId)) throw new WiresocketError('BOARD_FORBIDDEN', boardId);
  sendJson(response, 200, await deps.boardState(principal, boardId));
}

/** `GET /v1/route/<documentName>`: the name is decoded and checked as a socket's is, under the same grants. */
async function routeLookup(request: IncomingMessage, response: ServerResponse, path: string, deps: HttpRouteDependencies): Promise<void> {
  const name = documentNameFromUrl(path.slice(routePrefix.length - 1));
  const principal = await authenticate(request, deps.verifier);
  if (!grantsDocument(principal, name)) throw new WiresocketError('DOCUMENT_FORBIDDEN', name);
  sendJson(response, 200, await deps.route(principal, name));
}

const authenticate = authenticateRequest;

async function readiness(response: ServerResponse, deps: HttpRouteDependencies): Promise<void> {
  try {
    await deps.checkReady();
    sendJson(response, 200, { ready: true });
  } catch (error) {
    sendJson(response, 503, { ready: false, error: error instanceof Error ? error.message : String(error) });
  }
}

async function metrics(response: ServerResponse, deps: HttpRouteDependencies): Promise<void> {
  const { contentType, text } = await deps.metrics();
  response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
