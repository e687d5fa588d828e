import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DocumentArchive } from '../../src/archive/documentArchive.js';
import { issueToken } from '../../src/auth/tokenIssuer.js';
import type { Access } from '../../src/auth/principal.js';
import { generateHs256Secret } from '../../src/auth/keyMaterial.js';
import { loadServeConfig, type ServeConfig } from '../../src/config.js';
import type { Clock } from '../../src/clock.js';
import { openControlStores, type ControlStores } from '../../src/routing/controlStores.js';
import { WiresocketServer } from '../../src/server/wiresocketServer.js';
import type { Logger } from '../../src/log.js';
import type { BoardBus } from '../../src/boards/boardBus.js';
import { MemoryBoardBus, MemoryBoardBusHub } from '../../src/boards/memoryBoardBus.js';
import { createEventLogStorage } from '../../src/storage/createEventLogStorage.js';
import type { EventLogStorage } from '../../src/storage/eventLogStorage.js';
import { MemorySyncHub, MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import type { SyncLayer } from '../../src/sync/syncLayer.js';
import { webhookStoreOf } from '../../src/webhooks/index.js';
import { adminStoresOf } from '../../src/admin/index.js';

export interface TestApp {
  tenantId: string;
  appId: string;
  secret: string;
}

export interface TokenOptions {
  app?: TestApp;
  userId?: string;
  docs?: string[];
  access?: Access;
  ttlSeconds?: number;
}

export interface TestServer {
  server: WiresocketServer;
  stores: ControlStores;
  hub: MemorySyncHub;
  /** The board bus hub this node shares with the nodes started with `shareWith`. */
  boardHub: MemoryBoardBusHub;
  boardStorage: EventLogStorage;
  config: ServeConfig;
  dataDir: string;
  url: string;
  /** The default app: tenant `acme`, app `editor`. */
  app: TestApp;
  /** The key of a document of the default app. */
  key(name: string, app?: TestApp): string;
  addApp(tenantId: string, appId: string, maxDocuments?: number): Promise<TestApp>;
  token(options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: Partial<ServeConfig>;
  clock?: Clock;
  maxDocuments?: number;
  /** Wraps the memory sync layer (to observe calls or inject faults). */
  wrapSyncLayer?: (layer: SyncLayer) => SyncLayer;
  logger?: Logger;
  /** Builds the node's sync layer instead of the shared memory hub (e.g. a Redis adapter). */
  createSyncLayer?: (nodeId: string) => SyncLayer;
  /** Start another node of the same cluster: same libSQL file and sync hub, its own node id. */
  shareWith?: TestServer;
  /** Board storage instead of the data dir's libSQL file (e.g. PostgreSQL). */
  createBoardStorage?: () => Promise<EventLogStorage>;
  /** Opens the control stores on the config's `dbUrl` (e.g. slowed and counted); openControlStores when not given. */
  openControlStores?: (url: string) => Promise<ControlStores>;
  /** The node's board bus instead of the shared in-process hub (e.g. Redis). */
  createBoardBus?: (nodeId: string) => BoardBus;
  /** Give the node its webhook outbox (on the control stores' database). */
  webhooks?: boolean;
  /** The node's document archive (`--archive-url`); the test closes it. */
  archive?: DocumentArchive;
}

/** A real server on an ephemeral loopback port with its own libSQL file; `close()` removes it all. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const peer = options.shareWith;
  const dataDir = peer?.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'wiresocket-test-')));
  const config: ServeConfig = { ...loadServeConfig({ 'data-dir': dataDir, port: '0', 'log-level': 'silent' }, {}), ...options.config };
  const stores = await (options.openControlStores ?? ((url: string) => openControlStores({ url })))(config.dbUrl);
  const hub = peer?.hub ?? new MemorySyncHub();
  const boardHub = peer?.boardHub ?? new MemoryBoardBusHub();
  const nodeId = config.nodeId ?? `test-node-${Math.random().toString(36).slice(2)}`;
  // One id for the node, its sync layer and its board bus: each skips the node's own messages by it.
  config.nodeId = nodeId;
  const boardStorage = await (options.createBoardStorage ?? (() => createEventLogStorage({ url: config.storageUrl })))();
  let server: WiresocketServer;
  try {
    server = await WiresocketServer.start({
      boardStorage,
      boardBus: options.createBoardBus?.(nodeId) ?? new MemoryBoardBus(nodeId, boardHub),
      config,
      routing: stores.routing,
      tenants: stores.tenants,
      syncLayer: (options.wrapSyncLayer ?? ((layer) => layer))(
        options.createSyncLayer?.(nodeId) ?? new MemorySyncLayer(nodeId, hub),
      ),
      clock: options.clock,
      logger: options.logger,
      ...(options.webhooks ? { webhooks: webhookStoreOf(stores) } : {}),
      archive: options.archive,
      admin: adminStoresOf(stores),
    });
  } catch (error) {
    await Promise.all([stores.close(), boardStorage.close()]);
    throw error;
  }
  const addApp = async (tenantId: string, appId: string, maxDocuments = options.maxDocuments ?? 1000): Promise<TestApp> => {
    if (!(await stores.tenants.getTenant(tenantId))) await stores.tenants.createTenant({ tenantId, maxDocuments });
    const secret = generateHs256Secret();
    await stores.tenants.createApp({ tenantId, appId, key: { kind: 'hs256-secret', secret }, createdAt: Date.now() });
    return { tenantId, appId, secret };
  };
  const app = peer?.app ?? (await addApp('acme', 'editor'));
  return {
    server,
    stores,
    hub,
    boardHub,
    boardStorage,
    config,
    dataDir,
    url: server.url,
    app,
    addApp,
    key: (name, keyApp = app) => `${keyApp.tenantId}::${keyApp.appId}::${name}`,
    token: (tokenOptions = {}) => signTestToken(tokenOptions.app ?? app, tokenOptions),
    close: async () => {
      await server.close();
      await Promise.all([stores.close(), boardStorage.close()]);
      if (!peer) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function signTestToken(app: TestApp, options: TokenOptions = {}): Promise<string> {
  return issueToken({
    tenantId: app.tenantId,
    appId: app.appId,
    userId: options.userId ?? 'user-1',
    ttlSeconds: options.ttlSeconds ?? 3600,
    docs: options.docs,
    access: options.access,
    key: { kind: 'hs256-secret', secret: app.secret },
  });
}
