/**
 * The subprotocol a client offers before its token, and the one the server must echo back: a
 * browser drops a connection whose offered subprotocol is not selected (DESIGN.md "Auth and
 * tenancy").
 */
export const bearerSubprotocol = 'Bearer';

/**
 * The header carries the JWT, so it is the largest header a client controls before auth. Capped
 * before any splitting so a pathological header costs nothing (ws 7.4.6 ReDoS; reliability row 2).
 */
export const maxSubprotocolHeaderLength = 8 * 1024;

export interface OfferedSubprotocols {
  /** The entry offered right after `Bearer`, or null when there is none. */
  token: string | null;
  /** Every subprotocol offered, in order, trimmed, empty entries dropped. */
  offered: string[];
  /** True when the header exceeded `maxSubprotocolHeaderLength` and was not parsed at all. */
  tooLong: boolean;
}

/**
 * Parses a `Sec-WebSocket-Protocol` header value. The stock client sends `['Bearer', <jwt>]`,
 * which arrives as `Bearer, <jwt>`; Node joins repeated headers with `, `, so one split covers both.
 * Plain string splitting only: no regex, so no backtracking on hostile input.
 */
export function parseBearerSubprotocol(header: string | undefined): OfferedSubprotocols {
  if (header === undefined) return { token: null, offered: [], tooLong: false };
  // Node decodes header bytes as latin1, so one character is one byte on the wire.
  if (header.length > maxSubprotocolHeaderLength) return { token: null, offered: [], tooLong: true };
  const offered = splitOffered(header);
  return { token: tokenAfterBearer(offered), offered, tooLong: false };
}

function splitOffered(header: string): string[] {
  const offered: string[] = [];
  for (const part of header.split(',')) {
    const trimmed = part.trim();
    if (trimmed !== '') offered.push(trimmed);
  }
  return offered;
}

function tokenAfterBearer(offered: readonly string[]): string | null {
  const index = offered.indexOf(bearerSubprotocol);
  if (index === -1) return null;
  return offered[index + 1] ?? null;
}
