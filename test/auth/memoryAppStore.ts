import type { AppKey, AppRecord } from '../../src/tenancy/tenantRegistry.js';

/** A stand-in for the tenant registry's `getApp` that counts lookups, for key cache tests. */
export class MemoryAppStore {
  lookups = 0;
  failNext: Error | null = null;
  private readonly apps = new Map<string, AppRecord>();

  setKey(tenantId: string, appId: string, key: AppKey): void {
    this.apps.set(`${tenantId}/${appId}`, { tenantId, appId, key, createdAt: 0, keyVersion: 1 });
  }

  delete(tenantId: string, appId: string): void {
    this.apps.delete(`${tenantId}/${appId}`);
  }

  readonly lookupApp = async (tenantId: string, appId: string): Promise<AppRecord | null> => {
    this.lookups += 1;
    const failure = this.failNext;
    this.failNext = null;
    if (failure !== null) throw failure;
    return this.apps.get(`${tenantId}/${appId}`) ?? null;
  };
}
