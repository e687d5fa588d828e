import { appKeyFromPublicKeyPem, generateHs256Secret, issueToken, type Access } from '../auth/index.js';
import type { Clock } from '../clock.js';
import { fromStore, WiresocketError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkDocumentName, documentKey, parseDocumentKey, type AppKey, type AppRecord, type TenantRegistry } from '../tenancy/index.js';
import type { DeliveryRecord, WebhookStore } from '../webhooks/index.js';
import type { AdminPrincipal } from './adminToken.js';
import type { ClusterOverview, PinnedSession, SessionKind } from './clusterOverview.js';
import type { MetricsSample, MetricsSampler } from './metricsSampler.js';

export interface AdminApiOptions {
  tenants: TenantRegistry;
  overview: ClusterOverview;
  webhooks: WebhookStore | null;
  sampler: MetricsSampler;
  samplerIntervalMs: number;
  /** When the document last changed on this node, if its session is here. */
  lastChangeHere(docKey: string): number | null;
  /** Ends a document for the whole cluster: the code of `DELETE /v1/documents/<name>` (4410 everywhere). */
  endDocument(docKey: string): Promise<boolean>;
  nodeId: string;
  nodeTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** The most sessions of each kind one listing shows (a dashboard, not an export). */
export const maxListedSessions = 500;

export interface TenantView {
  tenantId: string;
  maxDocuments: number;
  liveDocuments: number;
  /** null: anywhere. */
  regions: readonly string[] | null;
}

export interface AppView {
  tenantId: string;
  appId: string;
  keyKind: AppKey['kind'];
  algorithm: string;
  keyVersion: number;
  createdAt: string;
}

export interface SessionView {
  tenantId: string;
  appId: string;
  /** The document name or the board id. */
  name: string;
  region: string;
  pinnedBy: string;
  connections: number;
  connectionsByNode: Record<string, number>;
  createdAt: string;
  ageMs: number;
  /** The latest of its last connect and (when its session is on the answering node) its last change. */
  lastActivityAt: string;
}

export interface NodeView {
  nodeId: string;
  region: string;
  url: string;
  heartbeatAgeMs: number;
  live: boolean;
  connections: number;
  /** The node that answered. */
  self: boolean;
}

export interface DeliveryView extends DeliveryRecord {
  endpointId: string;
  url: string;
  tenantId: string;
  appId: string;
}

export interface NewTenantRequest {
  tenantId: string;
  maxDocuments: number;
  regions?: readonly string[] | null;
}

export interface TokenRequest {
  userId: string;
  ttlSeconds: number;
  docs?: readonly string[];
  access?: Access;
}

export interface KeyedApp {
  app: AppView;
  /** A new HS256 secret, shown this once; absent for a public key. */
  secret?: string;
}

/**
 * The admin API's work (issue 18), transport aside: reads of the whole cluster from the control
 * store, and the actions, each logged once with the admin token's subject. Tenants and apps go
 * through the same registry as the CLI; ending a document goes through the document API's delete.
 */
export class AdminApi {
  constructor(private readonly options: AdminApiOptions) {}

  async tenants(): Promise<TenantView[]> {
    const [tenants, live] = await fromStore(() => Promise.all([this.options.tenants.listTenants(), this.options.overview.liveDocumentsPerTenant()]));
    return tenants.map((tenant) => ({
      tenantId: tenant.tenantId,
      maxDocuments: tenant.maxDocuments,
      liveDocuments: live.get(tenant.tenantId) ?? 0,
      regions: tenant.allowedRegions ?? null,
    }));
  }

  async apps(): Promise<AppView[]> {
    return (await fromStore(() => this.options.tenants.listApps())).map(appView);
  }

  /** Documents (rows with a tenant) or boards (`board#` rows): never one as the other. */
  async sessions(kind: SessionKind): Promise<SessionView[]> {
    const rows = await fromStore(() => this.options.overview.sessions(kind, maxListedSessions));
    const now = this.options.clock.now();
    return rows.map((row) => this.sessionView(kind, row, now));
  }

  async nodes(): Promise<NodeView[]> {
    const now = this.options.clock.now();
    return (await fromStore(() => this.options.overview.nodes())).map((node) => ({
      nodeId: node.nodeId,
      region: node.region,
      url: node.url,
      heartbeatAgeMs: Math.max(0, now - node.heartbeatAt),
      live: now - node.heartbeatAt <= this.options.nodeTimeoutMs,
      connections: node.connections,
      self: node.nodeId === this.options.nodeId,
    }));
  }

  metrics(): { nodeId: string; intervalMs: number; samples: MetricsSample[] } {
    return { nodeId: this.options.nodeId, intervalMs: this.options.samplerIntervalMs, samples: this.options.sampler.samples() };
  }

  /** The newest deliveries of every endpoint (or only the failed ones), newest first. */
  async deliveries(options: { failedOnly: boolean; limit: number }): Promise<{ enabled: boolean; deliveries: DeliveryView[] }> {
    const store = this.options.webhooks;
    if (store === null) return { enabled: false, deliveries: [] };
    const endpoints = await fromStore(() => store.listEndpoints());
    const lists = await fromStore(() => Promise.all(endpoints.map((endpoint) => store.listDeliveries(endpoint.endpointId, options))));
    const deliveries = lists.flatMap((list, index) => {
      const { endpointId, url, tenantId, appId } = endpoints[index]!;
      return list.map((delivery) => ({ ...delivery, endpointId, url, tenantId, appId }));
    });
    deliveries.sort((a, b) => b.createdAt - a.createdAt || (a.deliveryId < b.deliveryId ? 1 : -1));
    return { enabled: true, deliveries: deliveries.slice(0, options.limit) };
  }

  async createTenant(admin: AdminPrincipal, request: NewTenantRequest): Promise<TenantView> {
    const { tenants } = this.options;
    if (await fromStore(() => tenants.getTenant(request.tenantId))) throw new WiresocketError('ADMIN_CONFLICT', `tenant ${JSON.stringify(request.tenantId)}`);
    const regions = request.regions ?? null;
    await this.registry(() => tenants.createTenant({ tenantId: request.tenantId, maxDocuments: request.maxDocuments, ...(regions ? { allowedRegions: regions } : {}) }));
    this.logAction(admin, 'tenant.create', { tenantId: request.tenantId, maxDocuments: request.maxDocuments, regions });
    return { tenantId: request.tenantId, maxDocuments: request.maxDocuments, liveDocuments: 0, regions };
  }

  /** Sets the quota and/or the residency; a running server applies them at the next first connect. */
  async setTenant(admin: AdminPrincipal, tenantId: string, change: { maxDocuments?: number; regions?: readonly string[] | null }): Promise<TenantView> {
    const { tenants } = this.options;
    if (change.maxDocuments !== undefined && !(await this.registry(() => tenants.setMaxDocuments(tenantId, change.maxDocuments!)))) throw tenantNotFound(tenantId);
    if (change.regions !== undefined && !(await this.registry(() => tenants.setAllowedRegions(tenantId, change.regions!)))) throw tenantNotFound(tenantId);
    this.logAction(admin, 'tenant.set', { tenantId, ...change });
    const view = (await this.tenants()).find((tenant) => tenant.tenantId === tenantId);
    if (!view) throw tenantNotFound(tenantId);
    return view;
  }

  async createApp(admin: AdminPrincipal, tenantId: string, appId: string, publicKey: string | undefined): Promise<KeyedApp> {
    const { tenants } = this.options;
    if (!(await fromStore(() => tenants.getTenant(tenantId)))) throw tenantNotFound(tenantId);
    if (await fromStore(() => tenants.getApp(tenantId, appId))) throw new WiresocketError('ADMIN_CONFLICT', `app ${tenantId}/${appId}`);
    const key = keyOf(publicKey);
    await this.registry(() => tenants.createApp({ tenantId, appId, key, createdAt: this.options.clock.now() }));
    const app = await fromStore(() => tenants.getApp(tenantId, appId));
    if (!app) throw appNotFound(tenantId, appId);
    this.logAction(admin, 'app.create', { tenantId, appId, keyKind: key.kind });
    return keyed(app, key);
  }

  /** A new key at once; every node closes the sockets opened with the old one (4401) within its key check interval. */
  async rotateKey(admin: AdminPrincipal, tenantId: string, appId: string, publicKey: string | undefined): Promise<KeyedApp> {
    const key = keyOf(publicKey);
    const app = await this.registry(() => this.options.tenants.rotateAppKey(tenantId, appId, key));
    if (!app) throw appNotFound(tenantId, appId);
    this.logAction(admin, 'app.rotate-key', { tenantId, appId, keyVersion: app.keyVersion });
    return keyed(app, key);
  }

  /** A token of the app, signed with its stored HS256 secret (a public-key app's private key is not the server's). */
  async mintToken(admin: AdminPrincipal, tenantId: string, appId: string, request: TokenRequest): Promise<{ token: string; expiresAt: string }> {
    const app = await fromStore(() => this.options.tenants.getApp(tenantId, appId));
    if (!app) throw appNotFound(tenantId, appId);
    if (app.key.kind !== 'hs256-secret') throw new WiresocketError('REQUEST_INVALID', `app ${tenantId}/${appId} verifies with a public key; sign its tokens with the private key, which the server does not hold`);
    const now = this.options.clock.now();
    const token = await issueToken({ tenantId, appId, userId: request.userId, ttlSeconds: request.ttlSeconds, docs: request.docs, access: request.access, key: { kind: 'hs256-secret', secret: app.key.secret }, now });
    this.logAction(admin, 'token.mint', { tenantId, appId, userId: request.userId, ttlSeconds: request.ttlSeconds, docs: request.docs ?? null, access: request.access ?? 'read-write' });
    return { token, expiresAt: new Date(Math.floor(now / 1000) * 1000 + request.ttlSeconds * 1000).toISOString() };
  }

  /** Ends the document's session for the cluster, as `DELETE /v1/documents/<name>` does; 404 when nothing was live or archived. */
  async endDocument(admin: AdminPrincipal, tenantId: string, appId: string, name: string): Promise<void> {
    checkDocumentName(name);
    const ended = await this.options.endDocument(documentKey(tenantId, appId, name));
    if (!ended) throw new WiresocketError('DOCUMENT_NOT_FOUND', name);
    this.logAction(admin, 'document.end', { tenantId, appId, documentName: name });
  }

  /** The one log line of an action, naming who did it. */
  private logAction(admin: AdminPrincipal, action: string, details: Record<string, unknown>): void {
    this.options.logger.info({ admin: admin.subject, action, ...details }, `admin action ${action} by ${admin.subject}`);
  }

  private sessionView(kind: SessionKind, row: PinnedSession, now: number): SessionView {
    const docKey = kind === 'boards' ? row.routeKey.slice(row.routeKey.indexOf('#') + 1) : row.routeKey;
    const { tenantId, appId, name } = parseDocumentKey(docKey);
    const changed = kind === 'documents' ? this.options.lastChangeHere(docKey) : null;
    const lastActivity = Math.max(row.pinnedAt, row.lastConnectAt ?? 0, changed ?? 0);
    const connections = Object.values(row.connectionsByNode).reduce((sum, count) => sum + count, 0);
    return {
      tenantId,
      appId,
      name,
      region: row.region,
      pinnedBy: row.nodeId,
      connections,
      connectionsByNode: row.connectionsByNode,
      createdAt: new Date(row.pinnedAt).toISOString(),
      ageMs: Math.max(0, now - row.pinnedAt),
      lastActivityAt: new Date(lastActivity).toISOString(),
    };
  }

  /** The registry refuses bad values with plain errors (`invalid ...`): those are the caller's, 400. */
  private async registry<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof Error && /^invalid |^a residency list|needs a non-empty/.test(error.message)) throw new WiresocketError('REQUEST_INVALID', error.message);
      if (error instanceof Error && /already exists/.test(error.message)) throw new WiresocketError('ADMIN_CONFLICT', error.message);
      if (error instanceof Error && /does not exist/.test(error.message)) throw new WiresocketError('ADMIN_NOT_FOUND', error.message);
      throw new WiresocketError('STORE_UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
}

function keyOf(publicKey: string | undefined): AppKey {
  if (publicKey === undefined) return { kind: 'hs256-secret', secret: generateHs256Secret() };
  try {
    return appKeyFromPublicKeyPem(publicKey);
  } catch (error) {
    throw new WiresocketError('REQUEST_INVALID', `publicKey: ${(error as Error).message}`);
  }
}

function keyed(app: AppRecord, key: AppKey): KeyedApp {
  return key.kind === 'hs256-secret' ? { app: appView(app), secret: key.secret } : { app: appView(app) };
}

function appView(app: AppRecord): AppView {
  return {
    tenantId: app.tenantId,
    appId: app.appId,
    keyKind: app.key.kind,
    algorithm: app.key.kind === 'public-key' ? app.key.algorithm : 'HS256',
    keyVersion: app.keyVersion,
    createdAt: new Date(app.createdAt).toISOString(),
  };
}

function tenantNotFound(tenantId: string): WiresocketError {
  return new WiresocketError('ADMIN_NOT_FOUND', `tenant ${JSON.stringify(tenantId)}`);
}

function appNotFound(tenantId: string, appId: string): WiresocketError {
  return new WiresocketError('ADMIN_NOT_FOUND', `app ${tenantId}/${appId}`);
}
