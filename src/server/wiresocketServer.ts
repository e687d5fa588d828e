import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AdminApi, AdminVerifier, MetricsSampler, type AdminStores } from '../admin/index.js';
import { DocumentArchiving, type DocumentArchive } from '../archive/index.js';
import { bearerSubprotocol, parseBearerSubprotocol, TokenVerifier, type Principal } from '../auth/index.js';
import { BoardRooms, CollaborationService, isBoardPath, type BoardBus } from '../boards/index.js';
import { systemClock, type Clock } from '../clock.js';
import { defaultNodeId, isLoopbackHost, type ServeConfig } from '../config.js';
import { DocumentSessions } from '../documents/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { RoutingTable } from '../routing/index.js';
import { hopHeader, RegionDirectory, RegionProxy } from '../regions/index.js';
import { housekeeping } from '../scheduling/index.js';
import type { EventLogStorage } from '../storage/index.js';
import type { SyncLayer } from '../sync/index.js';
import { documentKey, type TenantRegistry } from '../tenancy/index.js';
import { BoardPlacement } from './boardPlacement.js';
import { WebhookService, type WebhookStore } from '../webhooks/index.js';
import { defaultWebRoot, DevDemo, webPages, WebRoutes } from '../web/index.js';
import { handleBoardUpgrade, type BoardUpgradeDependencies } from './boardUpgrade.js';
import { ClusterMembership } from './clusterMembership.js';
import { handleDocumentUpgrade, type DocumentUpgradeDependencies } from './documentUpgrade.js';
import { isHocuspocusPath } from './hocuspocusPath.js';
import { handleHocuspocusUpgrade, type HocuspocusUpgradeDependencies } from './hocuspocusUpgrade.js';
import { HandshakeDeadline } from './handshakeDeadline.js';
import { DocumentApi } from './documentApi.js';
import { handleHttpRequest } from './httpRoutes.js';
import { KeyRotationWatcher } from './keyRotationWatcher.js';
import { rejectUpgrade } from './rejectUpgrade.js';
import { routeAnswer } from './routeLookup.js';
import { ServerMetrics } from './serverMetrics.js';
import { SocketSupervisor } from './socketSupervisor.js';
import { maxRequestHeaders, UpgradeGate } from './upgradeGate.js';

export interface WiresocketServerOptions {
  config: ServeConfig;
  routing: RoutingTable;
  tenants: TenantRegistry;
  syncLayer: SyncLayer;
  /** Where boards are stored; the caller opens and closes it. */
  boardStorage: EventLogStorage;
  /** How this node hears other nodes' boards (Redis in a cluster); none when it is alone. Made with this node's id. */
  boardBus?: BoardBus;
  logger?: Logger;
  clock?: Clock;
  /** Called after the stores are closed on shutdown. */
  onClosed?: () => Promise<void>;
  /** The webhook outbox (on the control store's database); none: no webhooks. */
  webhooks?: WebhookStore;
  /** Keeps documents beyond their sessions (`--archive-url`); none: nothing is kept (the spec's default). The caller opens and closes it. */
  archive?: DocumentArchive;
  /** The admin key and the cluster overview (on the control store's database); none: no admin API. */
  admin?: AdminStores;
  /** Where the built pages are (one folder per page); default dist/web beside the server's code. */
  webRoot?: string;
}

/** Samples the charts keep: 180 at the default 2 s are the last 6 minutes. */
const adminSampleCapacity = 180;

/** How long /readyz waits for the stores before it answers 503. */
const readinessTimeoutMs = 2_000;

/**
 * One node: an HTTP server whose upgrades become document sockets, plus its cluster membership.
 * Owns the order of start and of graceful shutdown; the stores are handed in.
 */
export class WiresocketServer {
  readonly nodeId: string;
  readonly documents: DocumentSessions;
  readonly boards: CollaborationService;
  private readonly boardRooms: BoardRooms;
  /** Board pins across regions (issue 15, point 3). */
  private readonly boardPlacement: BoardPlacement;
  private readonly http: Server;
  private readonly webSocketServer: WebSocketServer;
  private readonly verifier: TokenVerifier;
  private readonly logger: Logger;
  readonly metrics: ServerMetrics;
  private readonly supervisor: SocketSupervisor;
  private readonly gate: UpgradeGate;
  private readonly keyRotations: KeyRotationWatcher;
  /** Stops this node's logger hearing about the shared housekeeping queue's failing tasks. */
  private readonly detachHousekeepingErrors: () => void;
  private membership: ClusterMembership | null = null;
  /** Announces sessions' events and sends the outbox's deliveries; null without a webhook store. */
  readonly webhooks: WebhookService | null;
  /** Live nodes per region, for the proxy and the route lookup. */
  private readonly directory: RegionDirectory;
  /** Proxies connects pinned to other regions; null without `--cluster-secret`. */
  private readonly regionProxy: RegionProxy | null;
  private closing: Promise<void> | null = null;
  private documentDeps: DocumentUpgradeDependencies | null = null;
  private boardDeps: BoardUpgradeDependencies | null = null;
  private hocuspocusDeps: HocuspocusUpgradeDependencies | null = null;
  private readonly documentApi: DocumentApi;
  /** The node's own figures over the last minutes, for the dashboard (sampled whether or not anyone looks). */
  private readonly sampler: MetricsSampler;
  private readonly admin: { work: AdminApi; verifier: AdminVerifier } | null;
  private readonly web: WebRoutes;
  private readonly demo: DevDemo;

  private constructor(
    private readonly options: WiresocketServerOptions,
    nodeId: string,
    http: Server,
    private readonly handshakeDeadline: HandshakeDeadline,
  ) {
    const { config } = options;
    const clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    // The queue swallows what a task throws so the others still run; without this nobody would know.
    this.detachHousekeepingErrors = housekeeping.reportErrorsTo((error, kind) => this.logger.error({ err: error, task: kind }, 'a housekeeping task failed'));
    this.nodeId = nodeId;
    this.http = http;
    this.verifier = new TokenVerifier({ lookupApp: (tenantId, appId) => options.tenants.getApp(tenantId, appId), clock });
    this.metrics = new ServerMetrics({
      openSockets: () => this.webSocketServer.clients.size,
      documentSessions: () => this.documents.size,
      proxiedSockets: () => this.regionProxy?.pipedCount ?? 0,
      proxiedBytes: () => this.regionProxy?.bytesProxied() ?? { toOwner: 0, toClient: 0 },
      webhookAttemptsInFlight: () => this.webhooks?.dispatcher.attemptsInFlight ?? 0,
    });
    const onLimit = this.metrics.limitHit.bind(this.metrics);
    this.supervisor = new SocketSupervisor({
      clock,
      pingIntervalMs: config.pingIntervalMs,
      livenessTimeoutMs: config.livenessTimeoutMs,
      maxBufferedBytes: config.maxBufferedBytes,
      slowReaderTimeoutMs: config.slowReaderTimeoutMs,
      onLimit,
    });
    this.gate = new UpgradeGate(config, clock);
    this.keyRotations = new KeyRotationWatcher({
      tenants: options.tenants,
      clock,
      intervalMs: config.keyCheckIntervalMs,
      logger: this.logger,
      onRotation: ({ tenantId, appId, keyVersion }) => {
        this.verifier.forgetApp(tenantId, appId);
        const closed = this.supervisor.closeApp(tenantId, appId, keyVersion);
        this.logger.info({ tenantId, appId, keyVersion, closed }, 'app key rotated; sockets opened with the old key closed');
      },
    });
    this.webhooks =
      options.webhooks === undefined
        ? null
        : new WebhookService({
            store: options.webhooks,
            clock,
            logger: this.logger,
            nodeId,
            updateIntervalMs: config.webhookUpdateIntervalMs,
            maxStateBytes: config.webhookMaxStateBytes,
            allowPrivate: config.allowPrivateWebhooks,
            onAttempt: (attempt) => this.metrics.webhookAttempt(attempt),
            holdLease: (docKey, name, ttlMs) => options.syncLayer.holdLease(docKey, name, ttlMs),
          });
    this.documents = new DocumentSessions({
      routing: options.routing,
      syncLayer: options.syncLayer,
      clock,
      logger: this.logger,
      nodeId,
      region: config.region,
      graceMs: config.graceMs,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      // A ceiling below the floor (a test's or library caller's partial config) means a fixed window.
      coalescing: { floorMs: config.coalesceMs, maxMs: Math.max(config.coalesceMs, config.coalesceMaxMs) },
      limits: {
        maxConnectionsPerDocument: config.maxConnectionsPerDocument,
        maxMessagesPerSecond: config.maxMessagesPerSecond,
        messageBurst: config.messageBurst,
        maxAwarenessPerSecond: config.maxAwarenessPerSecond,
        maxAwarenessStateBytes: config.maxAwarenessStateBytes,
        maxStatelessPerSecond: config.maxStatelessPerSecond,
      },
      onLimit,
      hooks: options.archive
        ? new DocumentArchiving({ archive: options.archive, syncLayer: options.syncLayer, clock, logger: this.logger, intervalMs: config.archiveIntervalMs })
        : undefined,
      nodeTimeoutMs: config.nodeTimeoutMs,
      regionHasLiveNode: async (region) => (await this.directory.liveNodeOf(region)) !== null,
      ...(this.webhooks === null ? {} : { webhooks: this.webhooks.announcer }),
      onStoredUpdate: () => this.metrics.updateStored(),
    });
    this.boards = new CollaborationService({
      storage: options.boardStorage,
      bus: options.boardBus,
      nodeId,
      clock,
      logger: this.logger,
      ephemeralIdleTimeoutMs: config.boardEphemeralIdleMs,
      persistentIdleTimeoutMs: config.boardPersistentIdleMs,
      sweepIntervalMs: config.boardSweepIntervalMs,
      flushIntervalMs: config.boardFlushIntervalMs,
      limits: { maxParticipants: config.boardMaxParticipants, maxBatchesPerSecond: config.boardMaxBatchesPerSecond },
    });
    this.boardRooms = new BoardRooms(this.boards);
    this.boardPlacement = new BoardPlacement({
      routing: options.routing,
      region: config.region,
      nodeId,
      nodeTimeoutMs: config.nodeTimeoutMs,
      regionHasLiveNode: async (region) => (await this.directory.liveNodeOf(region)) !== null,
      logger: this.logger,
    });
    // After the session's flush: only then may another region load the board (shutdown: removeNode releases).
    this.boards.observe({ sessionClosed: (boardKey) => this.closing === null && this.boardPlacement.release(boardKey) });
    const announcer = this.webhooks?.announcer;
    if (announcer) this.boards.observe({ sessionArchived: (boardKey, reason, sequence) => announcer.boardArchived(boardKey, reason, sequence) });
    // A second's cache: a connect storm to documents of another region reads the nodes once.
    this.directory = new RegionDirectory({ routing: options.routing, nodeTimeoutMs: config.nodeTimeoutMs, cacheMs: 1_000 });
    this.documentApi = new DocumentApi({
      documents: this.documents,
      routing: options.routing,
      syncLayer: options.syncLayer,
      archive: options.archive ?? null,
      directory: this.directory,
      region: config.region,
    });
    this.sampler = new MetricsSampler({
      clock,
      intervalMs: config.adminSampleIntervalMs,
      capacity: adminSampleCapacity,
      source: { openSockets: () => this.webSocketServer.clients.size, updatesTotal: () => this.metrics.updatesTotal, limitHitsTotal: () => this.metrics.limitHitsTotal },
    });
    this.admin = options.admin ? this.adminApi(options.admin, nodeId, clock) : null;
    const demo = new DevDemo({ enabled: config.demo && isLoopbackHost(config.host), tenants: options.tenants });
    this.demo = demo;
    this.web = new WebRoutes({ pages: webPages({ demo, admin: this.admin !== null }), demo, root: options.webRoot ?? defaultWebRoot, ownHost: this.url.slice('ws://'.length), logger: this.logger });
    this.regionProxy =
      config.clusterSecret === undefined
        ? null
        : new RegionProxy({ directory: this.directory, secret: config.clusterSecret, answerTimeoutMs: Math.min(5_000, config.handshakeTimeoutMs / 2) });
    this.webSocketServer = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxMessageBytes,
      perMessageDeflate: false,
      // Browsers drop a socket whose offered subprotocol is not echoed; never echo the token.
      handleProtocols: (offered) => (offered.has(bearerSubprotocol) ? bearerSubprotocol : false),
    });
  }

  private adminApi(stores: AdminStores, nodeId: string, clock: Clock): { work: AdminApi; verifier: AdminVerifier } {
    const work = new AdminApi({
      tenants: this.options.tenants,
      overview: stores.overview,
      webhooks: this.options.webhooks ?? null,
      sampler: this.sampler,
      samplerIntervalMs: this.options.config.adminSampleIntervalMs,
      lastChangeHere: (docKey) => this.documents.getSession(docKey)?.lastChangeAt ?? null,
      // The very code of DELETE /v1/documents/<name>: 4410 on every node, 421 for another region's.
      endDocument: (docKey) => this.documentApi.deleteKey(docKey),
      nodeId,
      nodeTimeoutMs: this.options.config.nodeTimeoutMs,
      clock,
      logger: this.logger,
    });
    return { work, verifier: new AdminVerifier({ keys: stores.keys, clock }) };
  }

  /** Listens, registers the node, and serves until `close()`. */
  static async start(options: WiresocketServerOptions): Promise<WiresocketServer> {
    const http = createServer();
    // The gate refuses an upgrade whose header list reached this cap (LIM-20), so it is set, not left to Node's default.
    http.maxHeadersCount = maxRequestHeaders;
    http.requestTimeout = options.config.handshakeTimeoutMs;
    const deadline = new HandshakeDeadline(options.config.handshakeTimeoutMs);
    http.on('connection', (socket) => deadline.watch(socket));
    await listen(http, options.config.port, options.config.host);
    const port = (http.address() as AddressInfo).port;
    const server = new WiresocketServer(options, options.config.nodeId ?? defaultNodeId(port), http, deadline);
    try {
      await server.register();
    } catch (error) {
      // Nothing is served yet; a listening socket (or a Redis connection) left open would keep the process alive.
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.allSettled([server.boards.close(), options.syncLayer.close(), options.boardBus?.close()]);
      server.stopTimers();
      throw error;
    }
    http.on('request', (request, response) => {
      deadline.settle(request.socket);
      handleHttpRequest(request, response, server.httpDependencies()).catch((error: unknown) => {
        server.logger.error({ err: error }, 'http request failed');
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    http.on('upgrade', (request, socket: Duplex, head: Buffer) => server.upgrade(request, socket, head));
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.options.config.host.includes(':') ? `[${this.options.config.host}]` : this.options.config.host;
    return `ws://${host}:${this.port}`;
  }

  /** How other nodes reach this one (`--advertise-url`, default `ws://<host>:<port>`); kept in its `nodes` row. */
  get advertiseUrl(): string {
    return this.options.config.advertiseUrl ?? this.url;
  }

  /** Whether the demo page is served at `/` now (`--demo`, a loopback host, the `dev/demo` app). */
  demoAvailable(): Promise<boolean> {
    return this.demo.available();
  }

  /** Graceful shutdown: stop accepting, close sockets with 1012, end sessions, close stores. */
  close(): Promise<void> {
    this.closing ??= this.shutdown().finally(this.detachHousekeepingErrors);
    return this.closing;
  }

  private async register(): Promise<void> {
    const { routing, config } = this.options;
    // A node restarted under the same id first clears what its previous run left behind.
    await routing.removeNode(this.nodeId);
    this.membership = new ClusterMembership({
      routing,
      node: { nodeId: this.nodeId, region: config.region, url: this.advertiseUrl },
      clock: this.options.clock ?? systemClock,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      nodeTimeoutMs: config.nodeTimeoutMs,
      events: {
        onReaped: () => {
          this.documents.dropAllConnections();
          // Their rows went with the reaping: the clients come back and register anew.
          this.boardRooms.closeAll(1012, 'NODE_REREGISTERED');
        },
        onOrphans: (orphans) => this.documents.endOrphans(orphans),
        onLeaseLost: () => {
          this.documents.suspendAll();
          this.suspendBoards();
        },
        onLeaseRegained: async () => {
          await Promise.all([this.documents.resumeAfterOutage(), this.boardPlacement.resumeAfterOutage()]);
        },
        onLiveNodes: (nodeIds) => {
          this.documents.forgetNodesExcept(nodeIds);
          this.boards.forgetNodesExcept(nodeIds);
        },
      },
      logger: this.logger,
    });
    await this.membership.start();
    await this.keyRotations.start();
    await this.webhooks?.start();
    this.sampler.start();
    await this.warnWithoutClusterSecret();
  }

  /**
   * The routing store has not answered for `--node-timeout-ms` (issue 15, point 4): like the
   * documents, every board socket here closes with 1012 and every board session ends (flushed if
   * the board storage answers; the log holds every acknowledged mutation either way), so nothing
   * here accepts a mutation under a pin another region may take over from now on.
   */
  private suspendBoards(): void {
    const boardKeys = this.boardPlacement.suspendAll();
    this.boardRooms.closeAll(1012, 'ROUTING_STORE_UNREACHABLE');
    for (const boardKey of boardKeys) {
      this.boards.closeSession(boardKey).catch((error: unknown) => this.logger.warn({ boardKey, err: error }, 'could not flush a board suspended by the routing store outage; its log holds its mutations'));
    }
    if (boardKeys.length > 0) this.logger.error({ boards: boardKeys.length }, 'the routing store has not answered for --node-timeout-ms: closed every board here (1012) until it does');
  }

  /** Said once at start: other regions' documents will get 1013 here instead of being proxied. */
  private async warnWithoutClusterSecret(): Promise<void> {
    const { config } = this.options;
    if (config.clusterSecret !== undefined) return;
    const others = await this.directory.otherRegions(config.region);
    if (others.length === 0) return;
    this.logger.warn(
      { region: config.region, otherRegions: others },
      'other regions are registered but this node has no --cluster-secret: it neither proxies connects to them nor accepts proxied connects',
    );
  }

  /**
   * A start that failed part-way: a heartbeat left running would keep announcing a node that
   * serves nothing (the rotation poll, the supervisor and the gate's sweep would idle on).
   */
  private stopTimers(): void {
    this.membership?.stop();
    this.keyRotations.stop();
    void this.webhooks?.stop();
    this.supervisor.stop();
    this.gate.stop();
    this.sampler.stop();
    this.detachHousekeepingErrors();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', this.onUpgradeSocketError);
    if (this.closing) return rejectUpgrade(socket, 503, 'server is shutting down');
    const refusal = this.gate.refusal(request, request.headers[hopHeader] !== undefined);
    if (refusal) {
      this.metrics.limitHit(refusal.limit);
      this.logger.info({ limit: refusal.limit, remoteAddress: request.socket.remoteAddress }, `upgrade refused: ${refusal.message}`);
      return rejectUpgrade(socket, refusal.status, refusal.message, refusal.headers);
    }
    const offered = parseBearerSubprotocol(request.headers['sec-websocket-protocol']);
    if (offered.tooLong) return rejectUpgrade(socket, 400, 'Sec-WebSocket-Protocol header too long');
    const url = request.url ?? '/';
    // Its tokens come in its messages, one per document: the subprotocol's is not used.
    if (isHocuspocusPath(url)) return handleHocuspocusUpgrade(request, socket, head, this.hocuspocusUpgradeDeps);
    const handled = isBoardPath(url)
      ? handleBoardUpgrade(request, socket, head, offered.token, this.boardUpgradeDeps)
      : handleDocumentUpgrade(request, socket, head, offered.token, this.documentUpgradeDeps);
    handled.catch((error: unknown) => {
      this.logger.error({ err: error }, 'upgrade failed');
      socket.destroy();
    });
  }

  /** Before the upgrade completes, a socket error (a reset) must not crash the process; after it, ws handles them. */
  private readonly onUpgradeSocketError = (error: Error): void => this.logger.debug({ err: error }, 'upgrade socket error');

  /** The upgrade is done: nothing of the handshake stays on the connection (memory per idle socket). */
  private readonly onUpgraded = (socket: Duplex): void => {
    this.handshakeDeadline.settle(socket);
    socket.off('error', this.onUpgradeSocketError);
  };

  /** Shared by every upgrade, so no connection keeps an object of its own for them. */
  private get documentUpgradeDeps(): DocumentUpgradeDependencies {
    this.documentDeps ??= {
      webSocketServer: this.webSocketServer,
      verifier: this.verifier,
      documents: this.documents,
      supervisor: this.supervisor,
      logger: this.logger,
      onUpgraded: this.onUpgraded,
      clusterSecret: this.options.config.clusterSecret,
      regions: this.regionProxy,
      // Wall time, as on the edge that signed the hop (an injected test clock would be another node's).
      now: Date.now,
      onHopRefused: (reason) => this.metrics.hopRefused(reason),
    };
    return this.documentDeps;
  }

  private get hocuspocusUpgradeDeps(): HocuspocusUpgradeDependencies {
    const { config } = this.options;
    this.hocuspocusDeps ??= {
      webSocketServer: this.webSocketServer,
      verifier: this.verifier,
      documents: this.documents,
      supervisor: this.supervisor,
      clock: this.options.clock ?? systemClock,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      limits: {
        maxDocumentsPerSocket: config.maxDocumentsPerSocket,
        maxQueuedMessages: config.maxPreauthMessages,
        maxQueuedBytes: config.maxPreauthBytes,
        maxMessagesPerSecond: config.maxMessagesPerSecond,
        messageBurst: config.messageBurst,
      },
      onLimit: this.metrics.limitHit.bind(this.metrics),
      logger: this.logger,
      onUpgraded: this.onUpgraded,
    };
    return this.hocuspocusDeps;
  }

  private get boardUpgradeDeps(): BoardUpgradeDependencies {
    this.boardDeps ??= {
      webSocketServer: this.webSocketServer,
      verifier: this.verifier,
      service: this.boards,
      rooms: this.boardRooms,
      clock: this.options.clock ?? systemClock,
      joinTimeoutMs: this.options.config.handshakeTimeoutMs,
      supervisor: this.supervisor,
      logger: this.logger,
      onUpgraded: this.onUpgraded,
      placement: this.boardPlacement,
      regions: this.regionProxy,
      clusterSecret: this.options.config.clusterSecret,
      now: Date.now,
      onHopRefused: (reason) => this.metrics.hopRefused(reason),
    };
    return this.boardDeps;
  }

  private async checkReady(): Promise<void> {
    const timeout = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('stores did not answer in time')), readinessTimeoutMs).unref();
    });
    const { routing, syncLayer, boardStorage, archive } = this.options;
    await Promise.race([Promise.all([routing.ping(), syncLayer.ping(), boardStorage.ping(), archive?.ping()]), timeout]);
  }

  private httpDependencies() {
    const keyOf = (principal: Principal, name: string) => documentKey(principal.tenantId, principal.appId, name);
    return {
      checkReady: () => this.checkReady(),
      verifier: this.verifier,
      boardState: async (principal: Principal, boardId: string) => ({ boardId, ...(await this.boards.getBoardState(keyOf(principal, boardId))) }),
      metrics: async () => ({ contentType: this.metrics.contentType, text: await this.metrics.render() }),
      route: (principal: Principal, name: string) => routeAnswer(name, keyOf(principal, name), this.options.routing, this.directory),
      web: this.web,
      documentApi: { work: this.documentApi, verifier: this.verifier, maxBodyBytes: this.options.config.maxMessageBytes, logger: this.logger },
      admin: this.admin === null ? null : { ...this.admin, logger: this.logger },
      stats: (principal: Principal) => {
        const tenantPrefix = `${principal.tenantId}::`;
        return { tenantId: principal.tenantId, boards: this.boards.statsOf((key) => key.startsWith(tenantPrefix)), documents: this.documents.statsOf(tenantPrefix) };
      },
    };
  }

  private async shutdown(): Promise<void> {
    const { config } = this.options;
    this.logger.info({ nodeId: this.nodeId }, 'shutting down');
    this.keyRotations.stop();
    this.gate.stop();
    this.sampler.stop();
    const stopListening = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    await this.documents.shutdown();
    await this.closeSockets(config.shutdownTimeoutMs);
    this.supervisor.stop();
    // Every pending board mutation is written before the stores close.
    await this.boards.close().catch((error: unknown) => this.logger.error({ err: error }, 'could not flush the board sessions'));
    this.boardRooms.dispose();
    await this.options.boardBus?.close().catch((error: unknown) => this.logger.warn({ err: error }, 'could not close the board bus'));
    this.membership?.stop();
    // After the sessions ended (their document.ended events are in the outbox), before the stores close.
    await this.webhooks?.stop();
    await this.options.routing.removeNode(this.nodeId).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not remove this node from the routing table');
    });
    await stopListening;
    // Sessions are gone, so nothing appends any more; its connections would keep the process alive.
    await this.options.syncLayer.close().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not close the sync layer');
    });
    await this.options.onClosed?.();
    this.logger.info({ nodeId: this.nodeId }, 'stopped');
  }

  /** Waits for clients to finish the close handshake, then cuts whoever is left. */
  private async closeSockets(timeoutMs: number): Promise<void> {
    this.regionProxy?.cutAll();
    const sockets = [...this.webSocketServer.clients];
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.close(1012, 'SERVER_SHUTTING_DOWN');
    const closed = Promise.all(sockets.map((ws) => (ws.readyState === ws.CLOSED ? null : new Promise((resolve) => ws.once('close', resolve)))));
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([closed, deadline]);
    for (const ws of this.webSocketServer.clients) ws.terminate();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.webSocketServer.close(() => resolve()));
  }
}

/**
 * The listen queue: connects the kernel has completed and the server has not accepted yet. Node's
 * default of 511 overflowed in every connect-storm bench (1,000 and 5,000 clients at once, as
 * after a restart): the kernel dropped the SYNs past it (29,092 drops in one run), and each of
 * those clients waited out the 1 s SYN retransmit, so "all synced" measured the retransmit timer,
 * not the server. The kernel caps it at `net.core.somaxconn` (4096 on current Linux).
 */
export const listenBacklog = 4096;

function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port, host, backlog: listenBacklog }, () => {
      http.off('error', reject);
      resolve();
    });
  });
}
