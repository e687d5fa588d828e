import type { IncomingMessage, ServerResponse } from 'node:http';
import { maxTokenLength } from '../auth/index.js';
import type { AdminApi, AdminPrincipal, AdminVerifier } from '../admin/index.js';
import { WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import { documentNameFromUrl } from '../tenancy/index.js';
import { newAppBody, newTenantBody, parseBody, rotateKeyBody, tenantChangeBody, tokenBody, ttlSecondsOf } from './adminRequests.js';
import { MisdirectedError } from './documentApi.js';
import { readRequestBody } from './readRequestBody.js';

export interface AdminRoutesDependencies {
  work: AdminApi;
  verifier: AdminVerifier;
  logger: Logger;
}

export const adminPrefix = '/v1/admin/';
/** Action bodies are small JSON (a public key PEM at most). */
const maxBodyBytes = 64 * 1024;

interface Call {
  admin: AdminPrincipal;
  request: IncomingMessage;
  query: URLSearchParams;
  /** The path's variable parts, percent-decoded. */
  params: string[];
  work: AdminApi;
}

interface Answer {
  status: number;
  body?: unknown;
}

interface AdminRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Matched against the path after `/v1/admin/`; groups are the params. */
  pattern: RegExp;
  /** A path of this route for the docs and the table-driven tests (`<x>` stands for a param). */
  example: string;
  /** Its last param is a document name: decoded and checked as a socket path's. */
  nameParam?: true;
  handle(call: Call): Promise<Answer>;
}

const segment = '([^/]+)';

/** Every admin route (issue 18). Each one authenticates with an admin token first. */
export const adminRoutes: readonly AdminRoute[] = [
  { method: 'GET', pattern: /^session$/, example: 'session', handle: async ({ admin }) => ok({ subject: admin.subject, expiresAt: new Date(admin.expiresAt).toISOString() }) },
  { method: 'GET', pattern: /^tenants$/, example: 'tenants', handle: async ({ work }) => ok({ tenants: await work.tenants() }) },
  {
    method: 'POST',
    pattern: /^tenants$/,
    example: 'tenants',
    handle: async ({ work, admin, request }) => created({ tenant: await work.createTenant(admin, parseBody(newTenantBody, await body(request))) }),
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`^tenants/${segment}$`),
    example: 'tenants/<tenantId>',
    handle: async ({ work, admin, request, params }) => ok({ tenant: await work.setTenant(admin, params[0]!, parseBody(tenantChangeBody, await body(request))) }),
  },
  { method: 'GET', pattern: /^apps$/, example: 'apps', handle: async ({ work }) => ok({ apps: await work.apps() }) },
  {
    method: 'POST',
    pattern: /^apps$/,
    example: 'apps',
    handle: async ({ work, admin, request }) => {
      const { tenantId, appId, publicKey } = parseBody(newAppBody, await body(request));
      return created(await work.createApp(admin, tenantId, appId, publicKey));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^apps/${segment}/${segment}/rotate-key$`),
    example: 'apps/<tenantId>/<appId>/rotate-key',
    handle: async ({ work, admin, request, params }) => ok(await work.rotateKey(admin, params[0]!, params[1]!, parseBody(rotateKeyBody, await body(request)).publicKey)),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^apps/${segment}/${segment}/tokens$`),
    example: 'apps/<tenantId>/<appId>/tokens',
    handle: async ({ work, admin, request, params }) => {
      const { userId, ttl, docs, access } = parseBody(tokenBody, await body(request));
      return created(await work.mintToken(admin, params[0]!, params[1]!, { userId, ttlSeconds: ttlSecondsOf(ttl), docs, access }));
    },
  },
  { method: 'GET', pattern: /^documents$/, example: 'documents', handle: async ({ work }) => ok({ documents: await work.sessions('documents') }) },
  {
    method: 'DELETE',
    // The name keeps its own slashes, encoded or not, as in the socket path.
    pattern: new RegExp(`^documents/${segment}/${segment}/(.+)$`),
    example: 'documents/<tenantId>/<appId>/<name>',
    nameParam: true,
    handle: async ({ work, admin, params }) => {
      await work.endDocument(admin, params[0]!, params[1]!, params[2]!);
      return { status: 204 };
    },
  },
  { method: 'GET', pattern: /^boards$/, example: 'boards', handle: async ({ work }) => ok({ boards: await work.sessions('boards') }) },
  { method: 'GET', pattern: /^nodes$/, example: 'nodes', handle: async ({ work }) => ok({ nodes: await work.nodes() }) },
  { method: 'GET', pattern: /^metrics$/, example: 'metrics', handle: async ({ work }) => ok(work.metrics()) },
  {
    method: 'GET',
    pattern: /^webhooks\/deliveries$/,
    example: 'webhooks/deliveries',
    handle: async ({ work, query }) => ok(await work.deliveries({ failedOnly: query.get('failed') === 'true', limit: limitOf(query) })),
  },
];

export function isAdminApiPath(path: string): boolean {
  return path.startsWith(adminPrefix);
}

/**
 * `/v1/admin/...`: JSON in and out, `Authorization: Bearer <admin token>`; errors are
 * `{ code, message }` (400 bad body, 401 no or bad admin token, 403 an app token, 404 unknown,
 * 405, 409 exists already, 421 another region's document, 503 a store).
 */
export async function handleAdminRequest(request: IncomingMessage, response: ServerResponse, path: string, deps: AdminRoutesDependencies): Promise<void> {
  try {
    const answer = await route(request, path, deps);
    if (answer.body === undefined) response.writeHead(answer.status, { 'cache-control': 'no-store' }).end();
    else sendJson(response, answer.status, answer.body);
  } catch (error) {
    if (!(error instanceof WiresocketError)) throw error;
    deps.logger.info({ code: error.code, method: request.method, path }, `admin API request refused: ${error.message}`);
    const answer: Record<string, unknown> = { code: error.code, message: error.message };
    if (error instanceof MisdirectedError) answer.route = error.route;
    if (!request.complete) response.setHeader('connection', 'close');
    sendJson(response, error.httpStatus, answer);
  }
}

async function route(request: IncomingMessage, path: string, deps: AdminRoutesDependencies): Promise<Answer> {
  const [rawPath, rawQuery] = [path.slice(adminPrefix.length), (request.url ?? '').split('?')[1] ?? ''];
  const matching = adminRoutes.map((entry) => ({ entry, match: entry.pattern.exec(rawPath) })).filter(({ match }) => match !== null);
  if (matching.length === 0) throw new WiresocketError('ADMIN_NOT_FOUND', `no admin route ${path}`);
  const found = matching.find(({ entry }) => entry.method === request.method);
  if (!found) throw new WiresocketError('METHOD_NOT_ALLOWED', `${request.method} ${path}; use ${matching.map(({ entry }) => entry.method).join(' or ')}`);
  const admin = await deps.verifier.verify(bearerToken(request));
  const parts = found.match!.slice(1);
  const params = parts.map((part, index) => (found.entry.nameParam && index === parts.length - 1 ? documentNameFromUrl(`/${part}`) : decodeParam(part)));
  return found.entry.handle({ admin, request, query: new URLSearchParams(rawQuery), params, work: deps.work });
}

function bearerToken(request: IncomingMessage): string | null {
  const header = request.headers.authorization ?? '';
  return header.length <= maxTokenLength + 7 && header.startsWith('Bearer ') ? header.slice(7).trim() || null : null;
}

function decodeParam(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new WiresocketError('REQUEST_INVALID', `${JSON.stringify(part)} is not valid percent-encoding`);
  }
}

function limitOf(query: URLSearchParams): number {
  const text = query.get('limit');
  const limit = text === null ? 50 : Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new WiresocketError('REQUEST_INVALID', 'limit must be an integer from 1 to 500');
  return limit;
}

function body(request: IncomingMessage): Promise<Uint8Array> {
  return readRequestBody(request, maxBodyBytes);
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function created(body: unknown): Answer {
  return { status: 201, body };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
}
