import { importSPKI, type CryptoKey } from 'jose';
import type { Clock } from '../clock.js';
import { WiresocketError, isWiresocketError } from '../errors.js';
import type { AppRecord } from '../tenancy/index.js';
import { importHs256VerificationKey } from './keyMaterial.js';
import { appKeyId } from './tokenClaims.js';

/** An app's imported key and the one algorithm it may verify; nothing else is ever tried with it. */
export interface VerificationKey {
  algorithm: string;
  key: CryptoKey;
  /** The app's key version (raised by every rotation): sockets opened with an older one are closed. */
  version: number;
}

export type LookupApp = (tenantId: string, appId: string) => Promise<AppRecord | null>;

export interface AppKeyCacheOptions {
  lookupApp: LookupApp;
  clock: Clock;
  /** How long a key (or an app's absence) is reused; also how long a key change takes to apply. */
  ttlMs: number;
  /** Bounds memory when tokens name many distinct (mostly unknown) apps. */
  maxEntries: number;
}

interface CacheEntry {
  expiresAt: number;
  /** Shared by concurrent callers, so a burst of connects for one app costs one store call. */
  key: Promise<VerificationKey | null>;
}

/**
 * Imported verification keys per app, kept for a short TTL so a connect costs no store call while
 * cached. Unknown apps are cached too (as null), so a flood of tokens naming one unregistered app
 * cannot hammer the store. Store and import failures are not cached: the next connect retries.
 */
export class AppKeyCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly options: AppKeyCacheOptions) {}

  /** The app's key, or null when the app is not registered. */
  get(tenantId: string, appId: string): Promise<VerificationKey | null> {
    const id = appKeyId(tenantId, appId);
    const now = this.options.clock.now();
    const cached = this.entries.get(id);
    if (cached !== undefined && cached.expiresAt > now) return cached.key;
    this.entries.delete(id);
    const key = this.load(tenantId, appId);
    this.remember(id, { expiresAt: now + this.options.ttlMs, key });
    key.catch(() => this.forget(id, key));
    return key;
  }

  /** The app's key was rotated: the next connect reads the new one instead of a cached old one. */
  invalidate(tenantId: string, appId: string): void {
    this.entries.delete(appKeyId(tenantId, appId));
  }

  private remember(id: string, entry: CacheEntry): void {
    // Map keeps insertion order, so the first key is the oldest entry: evict it first.
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(id, entry);
  }

  private forget(id: string, key: Promise<VerificationKey | null>): void {
    if (this.entries.get(id)?.key === key) this.entries.delete(id);
  }

  private async load(tenantId: string, appId: string): Promise<VerificationKey | null> {
    const record = await this.lookup(tenantId, appId);
    return record === null ? null : importAppKey(record, appKeyId(tenantId, appId));
  }

  private async lookup(tenantId: string, appId: string): Promise<AppRecord | null> {
    try {
      return await this.options.lookupApp(tenantId, appId);
    } catch (error) {
      if (isWiresocketError(error)) throw error;
      throw new WiresocketError('STORE_UNAVAILABLE', 'app lookup failed', { cause: error });
    }
  }
}

/** A stored key that will not import is a server-side misconfiguration, not the client's fault. */
async function importAppKey(record: AppRecord, id: string): Promise<VerificationKey> {
  const { key: appKey, keyVersion: version } = record;
  try {
    if (appKey.kind === 'hs256-secret') return { algorithm: 'HS256', key: await importHs256VerificationKey(appKey.secret), version };
    return { algorithm: appKey.algorithm, key: await importSPKI(appKey.pem, appKey.algorithm), version };
  } catch (error) {
    throw new WiresocketError('INTERNAL', `the stored key of app ${id} cannot be used`, { cause: error });
  }
}
