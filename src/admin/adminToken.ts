import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { maxTokenLength } from '../auth/index.js';
import { systemClock, type Clock } from '../clock.js';
import { WiresocketError } from '../errors.js';
import type { AdminKey, AdminKeyStore } from './adminKeyStore.js';

/** The audience of every admin token: an app's verifier needs tenantId/appId claims, which admin tokens never carry. */
export const adminAudience = 'wiresocket-admin';
const kidPrefix = 'wiresocket-admin/';

/** Who called the admin API: the subject is what each action's log line names. */
export interface AdminPrincipal {
  subject: string;
  /** ms since the epoch. */
  expiresAt: number;
}

export interface IssueAdminTokenOptions {
  key: AdminKey;
  subject: string;
  ttlSeconds: number;
  now?: number;
}

/** Signs an admin token with the server admin key (`wiresocket admin token`). */
export async function issueAdminToken(options: IssueAdminTokenOptions): Promise<string> {
  if (options.subject.trim() === '') throw new Error('the admin token subject must not be empty');
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) throw new Error(`ttlSeconds must be a positive whole number, got ${options.ttlSeconds}`);
  const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
  return new SignJWT({ scope: 'admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: `${kidPrefix}${options.key.version}` })
    .setSubject(options.subject)
    .setAudience(adminAudience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .sign(secretBytes(options.key));
}

export interface AdminVerifierOptions {
  keys: AdminKeyStore;
  clock?: Clock;
  /** How long the admin key is reused before it is read again (a rotation's reach). */
  keyCacheTtlMs?: number;
}

/**
 * Verifies admin tokens against the server admin key only. A token that names an app (the
 * claims every app token carries) is refused with 403 before any key is read: an app token
 * never reaches an admin route, whatever it grants.
 */
export class AdminVerifier {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private cached: { key: Promise<AdminKey>; until: number } | null = null;

  constructor(private readonly options: AdminVerifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.keyCacheTtlMs ?? 2_000;
  }

  async verify(token: string | null): Promise<AdminPrincipal> {
    if (token === null || token === '') throw new WiresocketError('TOKEN_MISSING');
    if (token.length > maxTokenLength) throw new WiresocketError('TOKEN_INVALID', `longer than ${maxTokenLength} characters`);
    const version = unverifiedKeyVersion(token);
    const key = await this.key();
    if (version !== key.version) throw new WiresocketError(version < key.version ? 'TOKEN_KEY_ROTATED' : 'TOKEN_INVALID', 'the admin key');
    const payload = await this.checkSignature(token, key);
    if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw new WiresocketError('TOKEN_CLAIMS', '"sub" names nobody');
    return { subject: payload.sub, expiresAt: (payload.exp as number) * 1000 };
  }

  private key(): Promise<AdminKey> {
    const now = this.clock.now();
    if (this.cached && this.cached.until > now) return this.cached.key;
    const key = this.options.keys.currentKey();
    this.cached = { key, until: now + this.ttlMs };
    // A failed read is not kept: the next call asks the store again.
    key.catch(() => {
      if (this.cached?.key === key) this.cached = null;
    });
    return key.catch((error: unknown) => {
      throw new WiresocketError('STORE_UNAVAILABLE', 'the admin key could not be read', { cause: error });
    });
  }

  private async checkSignature(token: string, key: AdminKey): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, secretBytes(key), {
        algorithms: ['HS256'],
        audience: adminAudience,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.clock.now()),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new WiresocketError('TOKEN_EXPIRED', undefined, { cause: error });
      if (error instanceof errors.JWTClaimValidationFailed) throw new WiresocketError('TOKEN_CLAIMS', `"${error.claim}" ${error.reason}`, { cause: error });
      throw new WiresocketError('TOKEN_INVALID', undefined, { cause: error });
    }
  }
}

/** The key version an admin token names; an app token (it names an app) is refused outright. */
function unverifiedKeyVersion(token: string): number {
  let payload: JWTPayload;
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
    payload = decodeJwt(token);
  } catch (error) {
    throw new WiresocketError('TOKEN_INVALID', 'not a JWS compact JWT', { cause: error });
  }
  if ('tenantId' in payload || 'appId' in payload) throw new WiresocketError('ADMIN_TOKEN_REQUIRED', 'this token names an app');
  const version = typeof kid === 'string' && kid.startsWith(kidPrefix) ? Number(kid.slice(kidPrefix.length)) : Number.NaN;
  if (!Number.isSafeInteger(version) || version < 1) throw new WiresocketError('TOKEN_INVALID', 'not signed with the admin key');
  return version;
}

function secretBytes(key: AdminKey): Uint8Array {
  return Buffer.from(key.secret, 'base64url');
}
