/**
 * Tenants and their apps (the control data of DESIGN.md): quotas and per-app signing keys.
 * Stored beside the routing table (same libSQL or PostgreSQL database) so the quota check can be atomic with
 * the routing insert.
 */
export interface TenantRegistry {
  createTenant(tenant: Tenant): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  /** Returns false when the tenant does not exist. */
  setMaxDocuments(tenantId: string, maxDocuments: number): Promise<boolean>;
  /** Residency: the regions the tenant's documents and boards may be pinned to; null lifts the limit. False when the tenant does not exist. */
  setAllowedRegions(tenantId: string, regions: readonly string[] | null): Promise<boolean>;

  createApp(app: NewApp): Promise<void>;
  getApp(tenantId: string, appId: string): Promise<AppRecord | null>;
  listApps(tenantId?: string): Promise<AppRecord[]>;
  /**
   * Replaces the app's key and raises its key version, recording the rotation so every node
   * can close the sockets opened with the old key. Returns null when the app does not exist.
   */
  rotateAppKey(tenantId: string, appId: string, key: AppKey): Promise<AppRecord | null>;
  /** Rotations recorded after `afterSequence`, oldest first (what a node has not seen yet). */
  keyRotationsSince(afterSequence: number): Promise<KeyRotation[]>;
  /** The sequence of the newest rotation, 0 when there has been none (where a node starts watching). */
  latestKeyRotation(): Promise<number>;
}

/** One `apps rotate-key`: from `keyVersion` on, only the new key verifies the app's tokens. */
export interface KeyRotation {
  sequence: number;
  tenantId: string;
  appId: string;
  keyVersion: number;
}

export interface Tenant {
  tenantId: string;
  maxDocuments: number;
  /** Residency (issue 15, point 6): where its documents and boards may be pinned. Absent: anywhere. */
  allowedRegions?: readonly string[];
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
  /** 1 at creation, raised by every key rotation; a principal remembers the version that verified it. */
  keyVersion: number;
}

/** An app as it is created: its key version starts at 1. */
export type NewApp = Omit<AppRecord, 'keyVersion'>;
