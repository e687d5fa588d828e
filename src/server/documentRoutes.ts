import type { IncomingMessage, ServerResponse } from 'node:http';
import { grantsDocument, type TokenVerifier } from '../auth/index.js';
import { documentToJson } from '../documents/index.js';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import { documentNameFromUrl } from '../tenancy/index.js';
import { authenticateRequest } from './bearerRequest.js';
import { MisdirectedError, type DocumentApi as DocumentApiWork } from './documentApi.js';
import { readRequestBody } from './readRequestBody.js';

/** What the routes need: the API's work and the request-level settings. */
export interface DocumentApi {
  work: DocumentApiWork;
  verifier: TokenVerifier;
  /** The largest update body (`--max-message-bytes`, as for a socket message). */
  maxBodyBytes: number;
  logger: Logger;
}

const listPath = '/v1/documents';
const documentPrefix = '/v1/documents/';
const updatesSuffix = '/updates';
/** Rows per page of `GET /v1/documents` unless `?limit=` says otherwise, and the most it may say. */
const defaultPageSize = 100;
const maxPageSize = 1000;

export function isDocumentApiPath(path: string): boolean {
  return path === listPath || path.startsWith(documentPrefix);
}

/**
 * `/v1/documents` (issue 17): the same Bearer tokens and grants as the sockets, names encoded
 * in the path as in the socket's. Errors are `{ code, message }` with the status of the error
 * catalog (400, 401, 403, 404, 413, 421, 429, 503).
 */
export async function handleDocumentRequest(request: IncomingMessage, response: ServerResponse, path: string, api: DocumentApi): Promise<void> {
  try {
    await route(request, response, path, api);
  } catch (error) {
    if (!(error instanceof WiresocketError)) throw error;
    api.logger.info({ code: error.code, method: request.method, path }, `document API request refused: ${error.message}`);
    const body: Record<string, unknown> = { code: error.code, message: error.message };
    if (error instanceof MisdirectedError) body.route = error.route;
    // A refused upload may leave its body unread; the connection is not kept for another request.
    if (!request.complete) response.setHeader('connection', 'close');
    sendJson(response, error.httpStatus, body);
  }
}

async function route(request: IncomingMessage, response: ServerResponse, path: string, api: DocumentApi): Promise<void> {
  const method = request.method ?? 'GET';
  const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
  if (path === listPath) {
    if (method !== 'GET') throw new WiresocketError('METHOD_NOT_ALLOWED', `${method} ${listPath}; use GET`);
    return list(request, response, query, api);
  }
  if (method === 'POST') {
    if (!path.endsWith(updatesSuffix)) throw new WiresocketError('METHOD_NOT_ALLOWED', 'POST goes to /v1/documents/<name>/updates');
    const name = nameOf(path.slice(0, -updatesSuffix.length));
    const principal = await authorize(request, name, api);
    await api.work.write(principal, name, await readRequestBody(request, api.maxBodyBytes));
    response.writeHead(204).end();
    return;
  }
  const name = nameOf(path);
  if (method === 'GET' || method === 'HEAD') {
    const principal = await authorize(request, name, api);
    const { state, source } = await api.work.read(principal, name);
    if (query.get('format') === 'json') return sendJson(response, 200, { documentName: name, source, types: documentToJson(state) });
    if (query.has('format') && query.get('format') !== 'update') throw new WiresocketError('REQUEST_INVALID', 'format must be json or update');
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': state.byteLength, 'x-wiresocket-source': source });
    response.end(method === 'HEAD' ? undefined : state);
    return;
  }
  if (method === 'DELETE') {
    const principal = await authorize(request, name, api);
    if (!(await api.work.delete(principal, name))) throw new WiresocketError('DOCUMENT_NOT_FOUND', name);
    response.writeHead(204).end();
    return;
  }
  throw new WiresocketError('METHOD_NOT_ALLOWED', `${method} on a document; use GET, DELETE or POST .../updates`);
}

async function list(request: IncomingMessage, response: ServerResponse, query: URLSearchParams, api: DocumentApi): Promise<void> {
  const principal = await authenticateRequest(request, api.verifier);
  const limitText = query.get('limit');
  const limit = limitText === null ? defaultPageSize : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) throw new WiresocketError('REQUEST_INVALID', `limit must be an integer from 1 to ${maxPageSize}`);
  const page = await api.work.list(principal, query.get('cursor'), limit, (name) => grantsDocument(principal, name));
  sendJson(response, 200, page);
}

/** The name as the socket path carries it (`/v1/documents/<name>` is `/<name>` there). */
function nameOf(path: string): string {
  return documentNameFromUrl(path.slice(documentPrefix.length - 1));
}

async function authorize(request: IncomingMessage, name: string, api: DocumentApi) {
  const principal = await authenticateRequest(request, api.verifier);
  if (!grantsDocument(principal, name)) throw new WiresocketError('DOCUMENT_FORBIDDEN', name);
  return principal;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
