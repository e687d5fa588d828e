import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header an edge node sets on the upgrade it proxies to the owner region. */
export const hopHeader = 'x-wiresocket-hop';

/**
 * How long a signed hop stays valid. It only has to outlive one upgrade's trip between regions;
 * short, so a captured header (logs, a proxy in between) is useless soon after.
 */
export const hopLifetimeMs = 10_000;

export interface HopFields {
  docKey: string;
  epoch: number;
  /** Milliseconds since the epoch (the edge's clock; skew between nodes eats into the lifetime). */
  expiresAt: number;
}

export type HopCheck = { kind: 'valid'; epoch: number } | { kind: 'invalid'; reason: string };

const version = 'v1';

/**
 * `v1.<epoch>.<expiresAt>.<base64url HMAC-SHA256>`. The MAC covers the version, the document key
 * (so a hop for one document opens no other), the epoch (so a hop routed by an old claim is
 * told from the current one) and the expiry; the key is `--cluster-secret`.
 */
export function signHop(fields: HopFields, secret: string): string {
  return `${version}.${fields.epoch}.${fields.expiresAt}.${mac(fields, secret)}`;
}

/** Checks the header's shape, expiry and MAC against the document the owner computed itself. */
export function verifyHop(header: string, docKey: string, secret: string, now: number): HopCheck {
  const parts = header.split('.');
  if (parts.length !== 4 || parts[0] !== version) return { kind: 'invalid', reason: 'malformed' };
  const epoch = wholeNumber(parts[1]);
  const expiresAt = wholeNumber(parts[2]);
  if (epoch === null || expiresAt === null) return { kind: 'invalid', reason: 'malformed' };
  const expected = Buffer.from(mac({ docKey, epoch, expiresAt }, secret));
  const given = Buffer.from(parts[3]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: 'invalid', reason: 'bad signature' };
  // After the MAC: an attacker learns nothing about expiry handling from forged headers.
  if (expiresAt < now) return { kind: 'invalid', reason: 'expired' };
  if (expiresAt > now + 2 * hopLifetimeMs) return { kind: 'invalid', reason: 'expiry too far ahead' };
  return { kind: 'valid', epoch };
}

function mac(fields: HopFields, secret: string): string {
  return createHmac('sha256', secret).update(`wiresocket-hop-${version}\n${fields.docKey}\n${fields.epoch}\n${fields.expiresAt}`).digest('base64url');
}

function wholeNumber(text: string): number | null {
  if (!/^[0-9]{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}
