import { generateHs256Secret, issueToken } from '../auth/index.js';
import { devAppId, devTenantId, type TenantRegistry } from '../tenancy/index.js';
import { defaultMaxDocuments } from './maxDocumentsFlag.js';

/** What a first start creates, so `npm start` gives a developer something to connect with at once. */
export { devAppId, devTenantId };
export const devUserId = 'dev-user';
export const devTokenTtlSeconds = 24 * 60 * 60;

export type DevBootstrap =
  /** The store was empty: `dev/demo` was created and this token (24 h, user dev-user) signs in to it. */
  | { kind: 'created'; token: string }
  /** The store already held tenants; `hasDemoApp` says whether the `dev/demo` hint applies. */
  | { kind: 'existing'; hasDemoApp: boolean };

/**
 * On a store without any tenant, creates tenant `dev` with app `demo` (a fresh HS256 secret) and
 * issues a token for it. A store that holds any tenant is left alone: an operator who set up
 * their own tenants does not get a demo tenant back.
 */
export async function bootstrapDevTenant(tenants: TenantRegistry, now: number = Date.now()): Promise<DevBootstrap> {
  if ((await tenants.listTenants()).length > 0) return existing(tenants);
  const secret = generateHs256Secret();
  try {
    await tenants.createTenant({ tenantId: devTenantId, maxDocuments: defaultMaxDocuments });
    await tenants.createApp({ tenantId: devTenantId, appId: devAppId, key: { kind: 'hs256-secret', secret }, createdAt: now });
  } catch (error) {
    // Another process started on the same empty store at the same moment and won the race.
    if ((await tenants.getApp(devTenantId, devAppId)) !== null) return existing(tenants);
    throw error;
  }
  const token = await issueToken({
    tenantId: devTenantId,
    appId: devAppId,
    userId: devUserId,
    ttlSeconds: devTokenTtlSeconds,
    key: { kind: 'hs256-secret', secret },
    now,
  });
  return { kind: 'created', token };
}

async function existing(tenants: TenantRegistry): Promise<DevBootstrap> {
  return { kind: 'existing', hasDemoApp: (await tenants.getApp(devTenantId, devAppId)) !== null };
}
