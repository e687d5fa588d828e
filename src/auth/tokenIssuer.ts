import type { KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { type AsymmetricAlgorithm, isValidIdentifier } from '../tenancy/index.js';
import { asymmetricAlgorithmOf, hs256SecretBytes, privateKeyFromPem } from './keyMaterial.js';
import type { Access } from './principal.js';
import { appKeyId } from './tokenClaims.js';

/** The key a token is signed with: the app's HS256 secret, or the private half of its key pair. */
export type SigningKey =
  | { kind: 'hs256-secret'; secret: string }
  | { kind: 'private-key'; pem: string; algorithm?: AsymmetricAlgorithm };

export interface IssueTokenOptions {
  tenantId: string;
  appId: string;
  userId: string;
  ttlSeconds: number;
  /** Allowed document names (exact, or `prefix*`); omitted means every document of the app. */
  docs?: readonly string[];
  access?: Access;
  key: SigningKey;
  /** Issue time in ms since the epoch; defaults to `Date.now()`. */
  now?: number;
}

/** Signs a token the verifier accepts. Used by the CLI and by tests; app backends may sign their own. */
export async function issueToken(options: IssueTokenOptions): Promise<string> {
  checkIssueOptions(options);
  const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
  const { algorithm, key } = signingKeyFor(options.key);
  return new SignJWT(claimsOf(options))
    .setProtectedHeader({ alg: algorithm, typ: 'JWT', kid: appKeyId(options.tenantId, options.appId) })
    .setSubject(options.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .sign(key);
}

const ttlUnitSeconds: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses a TTL such as `30s`, `15m`, `1h`, `24h`, `7d`, or plain seconds (`3600`) into seconds. */
export function parseTtl(text: string): number {
  const trimmed = text.trim();
  const unit = ttlUnitSeconds[trimmed.slice(-1)];
  const digits = unit === undefined ? trimmed : trimmed.slice(0, -1);
  const seconds = isDigits(digits) ? Number(digits) * (unit ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new Error(
      `invalid TTL "${text}": use whole seconds (3600) or a positive whole number with s, m, h or d (30s, 15m, 1h, 24h, 7d)`,
    );
  }
  return seconds;
}

function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 12) return false;
  for (const char of text) if (char < '0' || char > '9') return false;
  return true;
}

/** Refuses what the verifier would refuse, so a bad CLI call fails here with a clear message. */
function checkIssueOptions(options: IssueTokenOptions): void {
  if (!isValidIdentifier(options.tenantId)) throw new Error(`invalid tenant id "${options.tenantId}"`);
  if (!isValidIdentifier(options.appId)) throw new Error(`invalid app id "${options.appId}"`);
  if (options.userId === '') throw new Error('the user id (sub) must not be empty');
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new Error(`ttlSeconds must be a positive whole number, got ${options.ttlSeconds}`);
  }
  if (options.docs?.some((name) => name === '')) throw new Error('document patterns must not be empty');
}

function claimsOf(options: IssueTokenOptions): JWTPayload {
  const claims: JWTPayload = { tenantId: options.tenantId, appId: options.appId };
  if (options.docs !== undefined) claims.docs = [...options.docs];
  if (options.access !== undefined) claims.access = options.access;
  return claims;
}

function signingKeyFor(key: SigningKey): { algorithm: string; key: Uint8Array | KeyObject } {
  if (key.kind === 'hs256-secret') return { algorithm: 'HS256', key: hs256SecretBytes(key.secret) };
  const privateKey = privateKeyFromPem(key.pem);
  return { algorithm: algorithmFitting(privateKey, key.algorithm), key: privateKey };
}

/** An RSA key also signs PS256; every other key type has exactly one algorithm. */
function algorithmFitting(key: KeyObject, requested: AsymmetricAlgorithm | undefined): AsymmetricAlgorithm {
  const detected = asymmetricAlgorithmOf(key);
  if (requested === undefined || requested === detected) return detected;
  if (detected === 'RS256' && requested === 'PS256') return requested;
  throw new Error(`a ${detected} key cannot sign ${requested} tokens`);
}
