/** What the demo's sign-in answers (`GET /v1/dev/token`). */
export interface DevToken {
  token: string;
  user: string;
}

/** A token for `dev/demo`: for `user`, or for a random guest name when null. */
export async function fetchDevToken(user: string | null): Promise<DevToken> {
  const query = user === null ? '' : `?user=${encodeURIComponent(user)}`;
  const response = await fetch(`/v1/dev/token${query}`, { cache: 'no-store' });
  const body = (await response.json().catch(() => null)) as (Partial<DevToken> & { message?: string }) | null;
  if (!response.ok || typeof body?.token !== 'string' || typeof body.user !== 'string') {
    throw new Error(body?.message ?? `the demo token was refused (HTTP ${response.status})`);
  }
  return { token: body.token, user: body.user };
}
