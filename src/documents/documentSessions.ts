import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/index.js';
import { WiresocketError } from '../errors.js';
import { type Clock, SessionLifecycle, type ArchiveReason } from '../lifecycle/index.js';
import type { Logger } from '../log.js';
import type { RoutingTable } from '../routing/index.js';
import type { SyncLayer } from '../sync/index.js';
import { documentKey, type TenantRegistry } from '../tenancy/index.js';
import { DocumentConnection } from './documentConnection.js';
import { DocumentSession } from './documentSession.js';
import type { MinimalSocket } from './minimalSocket.js';

export interface DocumentSessionsOptions {
  routing: RoutingTable;
  tenants: TenantRegistry;
  syncLayer: SyncLayer;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  region: string;
  /** Grace after the last client leaves before the session ends (spec: 10 s). */
  graceMs: number;
  /** A connection that sends nothing within this time is closed. */
  handshakeTimeoutMs: number;
}

type SessionEntry =
  | { kind: 'opening'; opened: Promise<DocumentSession> }
  | { kind: 'live'; session: DocumentSession }
  | { kind: 'ending'; ended: Promise<void> };

/** A connection that passed auth and quota and holds its place while the upgrade completes. */
export interface Admission {
  readonly session: DocumentSession;
  readonly connectionId: string;
  /** The socket is open: start serving it. */
  attach(socket: MinimalSocket, principal: Principal): DocumentConnection;
  /** The upgrade failed: give the place back. */
  release(): void;
}

/**
 * Every document session of this node. Creates sessions in the spec's order (key, quota, sync
 * layer, routing pin), keeps one per document however many connects race, runs the grace after
 * the last client leaves, and ends sessions completely (unpin, drop sync state, free the Y.Doc).
 */
export class DocumentSessions {
  private readonly entries = new Map<string, SessionEntry>();
  private readonly pendingRemovals = new Set<Promise<void>>();
  private shuttingDown = false;

  constructor(private readonly options: DocumentSessionsOptions) {}

  /** Admits a connection to the document `name` of the principal's tenant and app. */
  async admit(principal: Principal, name: string): Promise<Admission> {
    if (this.shuttingDown) throw new WiresocketError('SERVER_SHUTTING_DOWN');
    const key = documentKey(principal.tenantId, principal.appId, name);
    const session = await this.liveSession(key, principal.tenantId);
    session.reserve();
    const connectionId = randomUUID();
    try {
      await this.options.routing.addConnection({ connectionId, docKey: key, nodeId: this.options.nodeId, userId: principal.userId });
    } catch (error) {
      session.cancelReservation();
      void this.participantLeft(session, connectionId);
      throw new WiresocketError('STORE_UNAVAILABLE', 'could not register the connection', { cause: error });
    }
    return this.admission(session, connectionId);
  }

  /** The live session of a document on this node, if any (tests, stats). */
  getSession(docKey: string): DocumentSession | null {
    const entry = this.entries.get(docKey);
    return entry?.kind === 'live' ? entry.session : null;
  }

  /** Sessions in any state on this node. */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every connection with 1012 and ends every session (graceful shutdown). */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const endings: Promise<void>[] = [];
    for (const [, entry] of this.entries) {
      if (entry.kind === 'live') {
        entry.session.closeAll(1012, 'SERVER_SHUTTING_DOWN');
        endings.push(this.endSession(entry.session, 'shutdown'));
      } else if (entry.kind === 'ending') {
        endings.push(entry.ended);
      }
    }
    await Promise.allSettled(endings);
  }

  private admission(session: DocumentSession, connectionId: string): Admission {
    return {
      session,
      connectionId,
      attach: (socket, principal) => {
        const connection = new DocumentConnection({
          socket,
          principal,
          connectionId,
          clock: this.options.clock,
          handshakeTimeoutMs: this.options.handshakeTimeoutMs,
          logger: this.options.logger,
        });
        session.attach(connection);
        return connection;
      },
      release: () => {
        session.cancelReservation();
        void this.participantLeft(session, connectionId);
      },
    };
  }

  /** Waits out an ending session and joins a session being opened, so there is one per key. */
  private async liveSession(key: string, tenantId: string): Promise<DocumentSession> {
    for (;;) {
      const entry = this.entries.get(key);
      if (!entry) return this.openSession(key, tenantId);
      if (entry.kind === 'live') return entry.session;
      if (entry.kind === 'ending') await entry.ended;
      else await entry.opened.catch(() => undefined);
    }
  }

  private async openSession(key: string, tenantId: string): Promise<DocumentSession> {
    const opened = this.createSession(key, tenantId);
    this.entries.set(key, { kind: 'opening', opened });
    try {
      const session = await opened;
      this.entries.set(key, { kind: 'live', session });
      return session;
    } catch (error) {
      this.entries.delete(key);
      throw error;
    }
  }

  /**
   * The spec's order: (1) the key is built by the caller; (2) quota check; (3) sync-layer state;
   * (4) routing pin. The pin repeats the quota check atomically with its insert, so concurrent
   * first connects (on this node or others) cannot overshoot; the pre-check spares the sync
   * layer work for connects that would be refused anyway.
   */
  private async createSession(key: string, tenantId: string): Promise<DocumentSession> {
    const { routing, syncLayer } = this.options;
    const alreadyPinned = (await this.store(() => routing.getRoute(key))) !== null;
    if (!alreadyPinned) await this.checkQuota(tenantId);
    await this.store(() => syncLayer.initDocument(key));
    const pin = await this.store(() =>
      routing.pinDocument({ docKey: key, tenantId, region: this.options.region, nodeId: this.options.nodeId }),
    );
    if (pin.kind === 'quota-exceeded' || pin.kind === 'unknown-tenant') {
      await this.store(() => syncLayer.deleteDocument(key));
      throw pin.kind === 'unknown-tenant'
        ? new WiresocketError('TENANT_UNKNOWN', tenantId)
        : new WiresocketError('QUOTA_EXCEEDED', `limit ${pin.maxDocuments}`);
    }
    const session = this.newSession(key, tenantId);
    await this.store(() => session.load());
    this.options.logger.info({ docKey: key, tenantId, region: this.options.region, pinned: pin.kind }, 'document session created');
    return session;
  }

  private async checkQuota(tenantId: string): Promise<void> {
    const { routing, tenants } = this.options;
    const [tenant, live] = await this.store(() => Promise.all([tenants.getTenant(tenantId), routing.countTenantDocuments(tenantId)]));
    if (!tenant) throw new WiresocketError('TENANT_UNKNOWN', tenantId);
    if (live >= tenant.maxDocuments) throw new WiresocketError('QUOTA_EXCEEDED', `limit ${tenant.maxDocuments}`);
  }

  private newSession(key: string, tenantId: string): DocumentSession {
    let session: DocumentSession;
    const lifecycle = new SessionLifecycle({
      clock: this.options.clock,
      idleTimeoutMs: this.options.graceMs,
      onIdleTimeout: () => void this.endSession(session, 'idle-timeout'),
    });
    session = new DocumentSession({
      docKey: key,
      tenantId,
      syncLayer: this.options.syncLayer,
      lifecycle,
      logger: this.options.logger,
      onConnectionClosed: (closedSession, connection) => void this.participantLeft(closedSession, connection.id),
    });
    return session;
  }

  /**
   * A connection (or a place reserved for one) is gone. Its `active_sessions` row goes first (the
   * spec: at once); then, if it was this node's last, the cluster-wide count decides: other nodes
   * still serving the document means this node just frees its copy; nobody means the grace starts.
   */
  private async participantLeft(session: DocumentSession, connectionId: string): Promise<void> {
    await this.forgetConnection(connectionId);
    if (!this.isIdleHere(session)) return;
    const elsewhere = await this.options.routing.countConnections(session.docKey).catch((error: unknown) => {
      // Unknown means "maybe nobody": start the grace; the purge re-checks atomically anyway.
      this.options.logger.warn({ docKey: session.docKey, err: error }, 'could not count connections on other nodes');
      return 0;
    });
    if (!this.isIdleHere(session)) return;
    if (elsewhere > 0) {
      void this.endSession(session, 'closed');
      return;
    }
    session.lifecycle.lastParticipantLeft();
    this.options.logger.debug({ docKey: session.docKey, graceMs: this.options.graceMs }, 'last client left; grace started');
  }

  /** Active, with nobody left on this node (and not shutting down). */
  private isIdleHere(session: DocumentSession): boolean {
    return !this.shuttingDown && session.participantCount === 0 && session.lifecycle.state.kind === 'active';
  }

  /** Removes the connection's `active_sessions` row; shutdown waits for every such removal. */
  private forgetConnection(connectionId: string): Promise<void> {
    const removal = this.options.routing.removeConnection(connectionId).catch((error: unknown) => {
      this.options.logger.error({ connectionId, err: error }, 'could not remove the connection from active_sessions');
    });
    this.pendingRemovals.add(removal);
    void removal.finally(() => this.pendingRemovals.delete(removal));
    return removal;
  }

  /** Ends a session: unpin it, drop its sync-layer state, free its Y.Doc. */
  private endSession(session: DocumentSession, reason: ArchiveReason): Promise<void> {
    if (reason === 'idle-timeout') session.lifecycle.expire();
    else session.lifecycle.close(reason);
    const ended = this.purge(session, reason).finally(() => {
      const entry = this.entries.get(session.docKey);
      if (entry?.kind === 'ending' && entry.ended === ended) this.entries.delete(session.docKey);
    });
    this.entries.set(session.docKey, { kind: 'ending', ended });
    return ended;
  }

  /**
   * Frees this node's copy and, if no connection on any node uses the document, ends it for the
   * cluster: the conditional unpin lets exactly one node win, and only the winner drops the
   * sync-layer state, so a node cannot delete what another node is still serving.
   */
  private async purge(session: DocumentSession, reason: ArchiveReason): Promise<void> {
    const key = session.docKey;
    let ended = false;
    try {
      await Promise.all(this.pendingRemovals);
      ended = await this.options.routing.unpinIfUnused(key);
      if (ended) await this.options.syncLayer.deleteDocument(key);
    } catch (error) {
      this.options.logger.error({ docKey: key, err: error }, 'could not purge an ended document session');
    } finally {
      await session.dispose();
    }
    const fields = { docKey: key, tenantId: session.tenantId, reason };
    if (ended) this.options.logger.info(fields, 'document session ended');
    else this.options.logger.info(fields, 'document session released on this node; other nodes still serve it');
  }

  /** Runs a store call; a store failure becomes 4503 (retry), never a crash. */
  private async store<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WiresocketError) throw error;
      throw new WiresocketError('STORE_UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
}
