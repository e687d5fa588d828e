import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { WiresocketError } from '../errors.js';
import { systemClock, type Clock } from '../lifecycle/index.js';
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
}

export const tokenVerifierDefaults = {
  keyCacheTtlMs: 2000,
  clockToleranceSeconds: 0,
  maxCachedApps: 10_000,
} as const;

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

  constructor(options: TokenVerifierOptions) {
    this.clock = options.clock ?? systemClock;
    this.clockToleranceSeconds = options.clockToleranceSeconds ?? tokenVerifierDefaults.clockToleranceSeconds;
    this.keys = new AppKeyCache({
      lookupApp: options.lookupApp,
      clock: this.clock,
      ttlMs: options.keyCacheTtlMs ?? tokenVerifierDefaults.keyCacheTtlMs,
      maxEntries: options.maxCachedApps ?? tokenVerifierDefaults.maxCachedApps,
    });
  }

  /** Throws `WiresocketError` (TOKEN_*, APP_UNKNOWN, STORE_UNAVAILABLE) when the token is not accepted. */
  async verify(token: string | null): Promise<Principal> {
    if (token === null || token === '') throw new WiresocketError('TOKEN_MISSING');
    if (token.length > maxTokenLength) throw new WiresocketError('TOKEN_INVALID', `longer than ${maxTokenLength} characters`);
    const app = readUnverifiedApp(token);
    const key = await this.keys.get(app.tenantId, app.appId);
    if (key === null) throw new WiresocketError('APP_UNKNOWN', `${app.tenantId}/${app.appId}`);
    const payload = await this.verifySignature(token, key);
    return principalFrom(payload, app, key.version);
  }

  /** The app's key was rotated: stop trusting the cached one at once. */
  forgetApp(tenantId: string, appId: string): void {
    this.keys.invalidate(tenantId, appId);
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
