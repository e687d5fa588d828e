/**
 * Tenants and their apps (the control data of DESIGN.md): quotas and per-app signing keys.
 * Stored beside the routing table (same libSQL database) so the quota check can be atomic with
 * the routing insert.
 */
export interface TenantRegistry {
  createTenant(tenant: Tenant): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  /** Returns false when the tenant does not exist. */
  setMaxDocuments(tenantId: string, maxDocuments: number): Promise<boolean>;

  createApp(app: AppRecord): Promise<void>;
  getApp(tenantId: string, appId: string): Promise<AppRecord | null>;
  listApps(tenantId?: string): Promise<AppRecord[]>;
}

export interface Tenant {
  tenantId: string;
  maxDocuments: number;
}

/** How an app's tokens are verified. */
export type AppKey =
  | { kind: 'hs256-secret'; secret: string }
  | { kind: 'public-key'; algorithm: AsymmetricAlgorithm; pem: string };

export type AsymmetricAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface AppRecord {
  tenantId: string;
  appId: string;
  key: AppKey;
  createdAt: number;
}
