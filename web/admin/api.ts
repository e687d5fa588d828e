/** The admin API as the page calls it: same origin, the admin token as a Bearer header, errors as `{ code, message }`. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

export async function adminFetch(token: string, method: string, path: string, body?: unknown): Promise<Json | null> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/v1/admin/${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), cache: 'no-store' });
  const text = await response.text();
  const json = text === '' ? null : (JSON.parse(text) as Json);
  if (!response.ok) throw new AdminApiError(response.status, String(json?.code ?? response.status), String(json?.message ?? response.statusText));
  return json;
}

/** A path segment (tenant, app or document name) encoded as the API reads it. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
