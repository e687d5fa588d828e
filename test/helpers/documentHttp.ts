import * as Y from 'yjs';

/** A response of the document HTTP API, its body read as bytes (JSON bodies also parsed). */
export interface ApiResponse {
  status: number;
  type: string | null;
  bytes: Uint8Array;
  json: unknown;
}

/** Calls the document HTTP API of a server whose WebSocket URL is `serverUrl`. */
export async function documentRequest(serverUrl: string, path: string, token: string | null, init: RequestInit = {}): Promise<ApiResponse> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${serverUrl.replace(/^ws/, 'http')}${path}`, { ...init, headers });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get('content-type');
  const json = type?.startsWith('application/json') ? JSON.parse(Buffer.from(bytes).toString('utf8')) : null;
  return { status: response.status, type, bytes, json };
}

/** `POST /v1/documents/<name>/updates` with one update. */
export function postUpdate(serverUrl: string, name: string, token: string | null, update: Uint8Array): Promise<ApiResponse> {
  return documentRequest(serverUrl, `/v1/documents/${encodeURIComponent(name)}/updates`, token, {
    method: 'POST',
    body: update,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

/** The text `t` of a state (a V1 update). */
export function textOfState(state: Uint8Array, name = 't'): string {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc.getText(name).toString();
}

/** An update that inserts `text` into the text `t` of a fresh client. */
export function textInsert(text: string, name = 't'): Uint8Array {
  const doc = new Y.Doc();
  doc.getText(name).insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}
