import { randomBytes } from 'node:crypto';
import { issueToken } from '../auth/index.js';
import { WiresocketError } from '../errors.js';
import { devAppId, devTenantId, type TenantRegistry } from '../tenancy/index.js';

export interface DevDemoOptions {
  /** `--demo` on and a loopback listen address: nobody but this machine can ask for a token. */
  enabled: boolean;
  tenants: TenantRegistry;
}

/** The demo's tokens live as long as the first start's (24 h): a demo tab left open keeps working. */
export const devDemoTokenTtlSeconds = 24 * 60 * 60;

/** A user name the page may choose: what a person types, short, without control characters. */
const userNamePattern = /^[\p{L}\p{N} _.@-]{1,40}$/u;

/** What `GET /v1/dev/token` answers. */
export interface DevToken {
  token: string;
  user: string;
  tenantId: string;
  appId: string;
  expiresAt: string;
}

/**
 * The demo's sign-in (issue 18): tokens for the dev bootstrap's `dev/demo` app, signed with its
 * own key. Served only while the demo is on, the listen address is loopback and the app exists
 * with an HS256 secret (the server cannot sign for a public-key app; it has no private key).
 */
export class DevDemo {
  constructor(private readonly options: DevDemoOptions) {}

  /** Whether the demo page and its token route are served right now. */
  async available(): Promise<boolean> {
    return this.options.enabled && (await this.secret()) !== null;
  }

  /** A token for `user` (or a random guest name), or null when the demo is not available. */
  async token(user: string | null, now = Date.now()): Promise<DevToken | null> {
    if (user !== null && !userNamePattern.test(user)) {
      throw new WiresocketError('REQUEST_INVALID', 'user must be 1-40 letters, digits, spaces or _ . @ -');
    }
    const secret = this.options.enabled ? await this.secret() : null;
    if (secret === null) return null;
    const userId = user ?? `guest-${randomBytes(3).toString('hex')}`;
    const token = await issueToken({
      tenantId: devTenantId,
      appId: devAppId,
      userId,
      ttlSeconds: devDemoTokenTtlSeconds,
      key: { kind: 'hs256-secret', secret },
      now,
    });
    const expiresAt = new Date(Math.floor(now / 1000) * 1000 + devDemoTokenTtlSeconds * 1000).toISOString();
    return { token, user: userId, tenantId: devTenantId, appId: devAppId, expiresAt };
  }

  private async secret(): Promise<string | null> {
    const app = await this.options.tenants.getApp(devTenantId, devAppId);
    return app?.key.kind === 'hs256-secret' ? app.key.secret : null;
  }
}
