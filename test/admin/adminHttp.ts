import { adminStoresOf, issueAdminToken } from '../../src/admin/index.js';
import type { TestServer } from '../helpers/testServer.js';

/** A response of the admin API with its JSON body (null when it has none). */
export interface AdminResponse {
  status: number;
  json: Record<string, unknown> | null;
}

/** Calls `/v1/admin/<path>` of a test server (its WebSocket URL turned http). */
export async function adminCall(server: TestServer, method: string, path: string, token: string | null, body?: unknown): Promise<AdminResponse> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url.replace(/^ws/, 'http')}/v1/admin/${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

/** An admin token of the server's admin key (created on first use), as `wiresocket admin token` prints one. */
export async function adminToken(server: TestServer, subject = 'alice', ttlSeconds = 3600): Promise<string> {
  const key = await adminStoresOf(server.stores).keys.currentKey();
  return issueAdminToken({ key, subject, ttlSeconds });
}
