import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import { WiresocketError } from '../errors.js';
import { AppKeyCache, type LookupApp, type VerificationKey } from './appKeyCache.js';
import type { Principal } from './principal.js';
import { appClaimsSchema, tokenClaimsSchema, type AppClaims } from './tokenClaims.js';

export interface TokenVerifierOptions {
  lookupApp: LookupApp;
  clock?: Clock;
  /** How long an app's key (or its absence) is reused; a new or changed key applies within it. */
  keyCacheTtlMs?: number;
  /** Accepted clock skew for `exp`/`nbf`, in seconds; none by default. */
  clockToleranceSeconds?: number;
  /** Bounds the key cache when tokens name many distinct, mostly unknown, apps. */
  maxCachedApps?: number;
  /** Tokens whose verification is reused (a client reconnecting, one user's many documents). */
  maxCachedTokens?: number;
}

export const tokenVerifierDefaults = {
  keyCacheTtlMs: 2000,
  clockToleranceSeconds: 0,
  maxCachedApps: 10_000,
  maxCachedTokens: 5_000,
} as const;

/** A token that verified, with the key that verified it: reused only while that key is still the app's. */
interface VerifiedToken {
  principal: Principal;
  key: VerificationKey;
}

/**
 * Refuses oversized tokens before decoding them: the subprotocol header is capped at 8 KiB, and
 * the same cap keeps the `Authorization` path from spending base64 and JSON work on junk.
 */
export const maxTokenLength = 8 * 1024;

/**
 * Turns a bearer token into a Principal. The token names its app; only that app's key, and only
 * the algorithm that key allows, can verify it, so one tenant can never mint tokens for another
 * and `alg: none` or algorithm confusion is refused (DESIGN.md "Auth and tenancy").
 */
export class TokenVerifier {
  private readonly clock: Clock;
  private readonly clockToleranceSeconds: number;
  private readonly keys: AppKeyCache;
  private readonly verified = new Map<string, VerifiedToken>();
  /**
   * Verifications under way, by token: connects with the same token that arrive together (one
   * user's documents and tabs after a restart, a reconnect storm) share one signature check
   * instead of each running its own before the first is remembered (issue 14: 1,000 connects with
   * one token ran 1,000 HMAC checks, about a tenth of the storm's CPU).
   */
  private readonly inFlight = new Map<string, Promise<Principal>>();
  private readonly maxCachedTokens: number;

  constructor(options: TokenVerifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? tokenVerifierDefaults.clockToleranceSeconds;
    this.keys = new AppKeyCache({
      lookupApp: options.lookupApp,
      clock: this.clock,
      ttlMs: options.keyCacheTtlMs ?? tokenVerifierDefaults.keyCacheTtlMs,
      maxEntries: options.maxCachedApps ?? tokenVerifierDefaults.maxCachedApps,
    });
    this.maxCachedTokens = options.maxCachedTokens ?? tokenVerifierDefaults.maxCachedTokens;
  }

  /** Throws `WiresocketError` (TOKEN_*, APP_UNKNOWN, STORE_UNAVAILABLE) when the token is not accepted. */
  async verify(token: string | null): Promise<Principal> {
    if (token === null || token === '') throw new WiresocketError('TOKEN_MISSING');
    if (token.length > maxTokenLength) throw new WiresocketError('TOKEN_INVALID', `longer than ${maxTokenLength} characters`);
    const reused = await this.reusable(token);
    if (reused) return reused;
    const pending = this.inFlight.get(token);
    if (pending) return pending;
    const verification = this.verifyAndRemember(token);
    this.inFlight.set(token, verification);
    try {
      return await verification;
    } finally {
      if (this.inFlight.get(token) === verification) this.inFlight.delete(token);
    }
  }

  private async verifyAndRemember(token: string): Promise<Principal> {
    const app = readUnverifiedApp(token);
    const key = await this.keys.get(app.tenantId, app.appId);
    if (key === null) throw new WiresocketError('APP_UNKNOWN', `${app.tenantId}/${app.appId}`);
    const payload = await this.verifySignature(token, key);
    const principal = principalFrom(payload, app, key.version);
    this.remember(token, { principal, key });
    return principal;
  }

  /** The app's key was rotated: stop trusting the cached one (and what it verified) at once. */
  forgetApp(tenantId: string, appId: string): void {
    this.keys.invalidate(tenantId, appId);
    for (const [token, entry] of this.verified) {
      if (entry.principal.tenantId === tenantId && entry.principal.appId === appId) this.verified.delete(token);
    }
  }

  /**
   * The principal of these exact token bytes verified before, while it has not expired and the
   * key that verified it is still the one the app's key cache holds (a changed or rotated key,
   * or a removed app, ends the reuse): the same bytes under the same key verify the same way,
   * so a storm of reconnects costs one signature check per token, not one per connect.
   */
  private async reusable(token: string): Promise<Principal | null> {
    const entry = this.verified.get(token);
    if (entry === undefined) return null;
    const { principal } = entry;
    const stillValid = this.clock.now() < principal.expiresAt + this.clockToleranceSeconds * 1000;
    const key = stillValid ? await this.keys.get(principal.tenantId, principal.appId).catch(() => null) : null;
    if (key === entry.key) return principal;
    if (this.verified.get(token) === entry) this.verified.delete(token);
    return null;
  }

  private remember(token: string, entry: VerifiedToken): void {
    // Map keeps insertion order: the first entry is the oldest.
    while (this.verified.size >= this.maxCachedTokens) {
      const oldest = this.verified.keys().next();
      if (oldest.done === true) break;
      this.verified.delete(oldest.value);
    }
    if (this.maxCachedTokens > 0) this.verified.set(token, entry);
  }

  private async verifySignature(token: string, key: VerificationKey): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, key.key, {
        algorithms: [key.algorithm],
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.clock.now()),
        clockTolerance: this.clockToleranceSeconds,
      });
      return payload;
    } catch (error) {
      throw verificationError(error);
    }
  }
}

/**
 * Reads which app the token claims to belong to, without trusting it: the answer only chooses the
 * key, and the claims are checked again once the signature has verified.
 */
function readUnverifiedApp(token: string): AppClaims {
  let payload: JWTPayload;
  try {
    decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch (error) {
    throw new WiresocketError('TOKEN_INVALID', 'not a JWS compact JWT', { cause: error });
  }
  const app = appClaimsSchema.safeParse(payload);
  if (!app.success) throw new WiresocketError('TOKEN_CLAIMS', 'tenantId and appId must name an app');
  return app.data;
}

function verificationError(error: unknown): WiresocketError {
  if (error instanceof errors.JWTExpired) return new WiresocketError('TOKEN_EXPIRED', undefined, { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new WiresocketError('TOKEN_CLAIMS', `"${error.claim}" ${error.reason}`, { cause: error });
  }
  // Bad signature, disallowed alg, malformed segments: all mean the token cannot be trusted.
  return new WiresocketError('TOKEN_INVALID', undefined, { cause: error });
}

function principalFrom(payload: JWTPayload, app: AppClaims, keyVersion: number): Principal {
  const parsed = tokenClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WiresocketError('TOKEN_CLAIMS', issue ? `"${issue.path.join('.')}" ${issue.message}` : undefined);
  }
  const claims = parsed.data;
  // The key was chosen by the unverified claims; make sure the verified ones name the same app.
  if (claims.tenantId !== app.tenantId || claims.appId !== app.appId) {
    throw new WiresocketError('TOKEN_INVALID', 'verified claims name another app');
  }
  return Object.freeze({
    tenantId: claims.tenantId,
    appId: claims.appId,
    userId: claims.sub,
    access: claims.access,
    docs: claims.docs === undefined ? null : Object.freeze([...claims.docs]),
    expiresAt: claims.exp * 1000,
    keyVersion,
  });
}
