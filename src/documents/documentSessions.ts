import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { fromStore, WiresocketError } from '../errors.js';
import { SessionLifecycle, type ArchiveReason } from '../lifecycle/index.js';
import type { Logger } from '../log.js';
import { RoutingBatcher, type CreationCheck, type DocumentRoute, type OrphanedDocument, type PinResult, type RoutingTable } from '../routing/index.js';
import { readDocumentState, type SyncLayer } from '../sync/index.js';
import { documentKey } from '../tenancy/index.js';
import type { CoalescingBounds } from './adaptiveWindow.js';
import { DocumentConnection, type DocumentConnectionOptions } from './documentConnection.js';
import type { DocumentEndReason, DocumentHooks } from './documentHooks.js';
import type { DocumentLimitName, DocumentLimits } from './documentLimits.js';
import { DocumentSession } from './documentSession.js';
import type { DocumentWebhooks } from './documentWebhooks.js';
import { EndRetries } from './endRetries.js';
import type { MinimalSocket } from './minimalSocket.js';
import { claimHopEpoch, PinnedElsewhereError, residencyTarget, type HopClaim } from './pinnedElsewhere.js';
import { fenceVerdict, type SuspendedDocument } from './routingFence.js';

export interface DocumentSessionsOptions {
  routing: RoutingTable;
  syncLayer: SyncLayer;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  region: string;
  /** Grace after the last client leaves before the session ends (spec: 10 s). */
  graceMs: number;
  /** A connection that sends nothing within this time is closed. */
  handshakeTimeoutMs: number;
  /** Bounds of the window in which a document's updates are merged into one broadcast (floor 0: none). */
  coalescing: CoalescingBounds;
  limits: DocumentLimits;
  /** A connection was refused or closed by one of the limits (metrics). */
  onLimit: (limit: DocumentLimitName) => void;
  /** Where the archive (and other parts) attach to a document's life; none: nothing is kept. */
  hooks?: DocumentHooks;
  /** A node silent for longer is dead (`--node-timeout-ms`): a region with none alive may be taken over. */
  nodeTimeoutMs: number;
  /** Whether a region has a node that beat within the timeout (a hint; the takeover re-checks atomically). */
  regionHasLiveNode: (region: string) => Promise<boolean>;
  /** Where sessions announce their events (issue 17); none: no webhooks. */
  webhooks?: DocumentWebhooks;
  /** A client update was stored in the sync layer (the admin dashboard's updates/s). */
  onStoredUpdate?: () => void;
}

type SessionEntry =
  | { kind: 'opening'; opened: Promise<Opened> }
  | { kind: 'live'; session: DocumentSession }
  | { kind: 'ending'; ended: Promise<void> };

/** A session this connect opened, and the connection row it registered on the way (null: none yet). */
interface Opened {
  session: DocumentSession;
  connectionId: string | null;
}

/** What a first connect on this node learnt from the store, and the row it registered if the document is this region's. */
interface EarlyRegistration {
  check: CreationCheck;
  connectionId: string | null;
}

/** Makes the connection of one dialect from the options every dialect shares. */
export type ConnectionFactory = (options: DocumentConnectionOptions) => DocumentConnection;

const yWebsocketConnection: ConnectionFactory = (options) => new DocumentConnection(options);

/** A connection that passed auth and quota and holds its place while the upgrade completes. */
export interface Admission {
  readonly session: DocumentSession;
  readonly connectionId: string;
  /** The socket is open: start serving it (as a connection of the dialect `create` makes; y-websocket by default). */
  attach(socket: MinimalSocket, principal: Principal, create?: ConnectionFactory): DocumentConnection;
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
  /** Purges of documents orphaned by dead nodes, waiting out what is left of their grace. */
  private readonly orphanTimers = new Map<string, TimerHandle>();
  private shuttingDown = false;
  /**
   * The routing store has not answered for `--node-timeout-ms` (issue 15, point 4): this node
   * cannot prove it still holds any pin, so it serves nothing until the store answers again.
   */
  private routingLost = false;
  /** Documents whose sessions the outage closed, checked against their routes when the store is back. */
  private readonly suspended = new Map<string, SuspendedDocument>();
  /** Connection rows whose removal failed (the store was away): removed once it answers. */
  private readonly unremoved = new Set<string>();
  /** Documents pinned elsewhere whose leftover copy in this region's layer was dropped already (bounded). */
  private readonly droppedLeftovers = new Set<string>();
  /** The connect path's routing calls, grouped into one store round trip per event-loop turn. */
  private readonly registry: RoutingBatcher;
  /** Stops each live session's hook (its checkpoints) when the session goes. */
  private readonly unwatch = new Map<DocumentSession, () => void>();
  /** Ended documents whose end announcement failed: their sync-layer state waits for a retry. */
  private readonly endRetries: EndRetries;

  constructor(private readonly options: DocumentSessionsOptions) {
    this.registry = new RoutingBatcher(options.routing);
    this.endRetries = new EndRetries({ clock: options.clock, logger: options.logger, retry: (docKey, reason) => this.retryEnd(docKey, reason) });
  }

  /**
   * Admits a connection to the document `name` of the principal's tenant and app. A document
   * pinned to another region throws `PinnedElsewhereError` (the caller proxies). With `hop` (a
   * connect another region's edge proxied here) the document must be this region's at the hop's
   * epoch, else HOP_NOT_OWNER: a proxied connect never claims, and is never proxied again.
   */
  async admit(principal: Principal, name: string, hop?: HopClaim): Promise<Admission> {
    if (this.shuttingDown) throw new WiresocketError('SERVER_SHUTTING_DOWN');
    if (this.routingLost) throw new WiresocketError('STORE_UNAVAILABLE', 'the routing store has not answered for --node-timeout-ms');
    // Its edits could not be stored: better a retry later (or on a node that can) than a socket
    // that fails at its first keystroke.
    if (!this.options.syncLayer.reachable) throw new WiresocketError('STORE_UNAVAILABLE', 'the sync layer is not reachable');
    const key = documentKey(principal.tenantId, principal.appId, name);
    for (;;) {
      const { session, connectionId: registered } = await this.liveSession(key, principal, hop);
      try {
        if (hop && hop.epoch !== claimHopEpoch && session.epoch !== hop.epoch) throw new WiresocketError('HOP_NOT_OWNER', `serving epoch ${session.epoch}, hop names ${hop.epoch}`);
        this.checkRoom(session);
      } catch (error) {
        if (registered !== null) void this.forgetConnection(registered);
        throw error;
      }
      if (registered !== null) {
        // The session was opened for this connect, whose row went in with the route it proved.
        session.reserve();
        return this.admission(session, registered);
      }
      if (session.lifecycle.state.kind !== 'idle') return this.admission(session, await this.register(session, principal));
      // A session in its grace here may have been ended by another node meanwhile (both waited
      // out a grace; the other purged first). Read after our row is in, in the same batch, since
      // from then on no purge can succeed: a purge this read does not see cannot happen any more.
      const { connectionId, route } = await this.registerRejoin(session, principal);
      if (route !== null && route.pinnedAt === session.pinnedAt) return this.admission(session, connectionId);
      this.retireStale(session);
      session.cancelReservation();
      await this.forgetConnection(connectionId);
    }
  }

  /** Room flooding: past the limit a connect is refused with 1013 (members are unaffected; retry later). */
  private checkRoom(session: DocumentSession): void {
    const limit = this.options.limits.maxConnectionsPerDocument;
    if (session.participantCount < limit) return;
    this.options.onLimit('connections-per-document');
    throw new WiresocketError('DOCUMENT_FULL', `limit ${limit}`);
  }

  /** Reserves a place in the session and registers the connection in `active_sessions`. */
  private async register(session: DocumentSession, principal: Principal): Promise<string> {
    session.reserve();
    const connectionId = randomUUID();
    try {
      await this.registry.addConnection({ connectionId, docKey: session.docKey, nodeId: this.options.nodeId, userId: principal.userId });
    } catch (error) {
      session.cancelReservation();
      void this.participantLeft(session, connectionId);
      throw new WiresocketError('STORE_UNAVAILABLE', 'could not register the connection', { cause: error });
    }
    return connectionId;
  }

  /** Registers a connect that rejoins a session in its grace, and reads its route after the row, in one round trip. */
  private async registerRejoin(session: DocumentSession, principal: Principal): Promise<{ connectionId: string; route: DocumentRoute | null }> {
    session.reserve();
    const connectionId = randomUUID();
    try {
      const [, check] = await Promise.all([
        this.registry.addConnection({ connectionId, docKey: session.docKey, nodeId: this.options.nodeId, userId: principal.userId }),
        this.registry.checkCreation(session.docKey, session.tenantId),
      ]);
      return { connectionId, route: check.route };
    } catch (error) {
      session.cancelReservation();
      void this.participantLeft(session, connectionId);
      throw new WiresocketError('STORE_UNAVAILABLE', 'could not register the connection', { cause: error });
    }
  }

  /**
   * Issue 15, point 8: a first connect on this node to a document the region's sync layer holds
   * (another node of the region serves it) registers its row and reads the route in one batch,
   * the row first: when the route is this region's, no purge can succeed any more, so the session
   * opens under that route (its epoch the fencing token) with no further store round trip. The
   * layer's copy is only a hint: a route elsewhere or gone (a leftover copy, a purge under way)
   * removes the row again, and the connect goes the usual way with the route it read.
   */
  private async registerEarly(docKey: string, principal: Principal): Promise<EarlyRegistration | null> {
    if (!(await fromStore(() => this.options.syncLayer.holdsDocument(docKey)))) return null;
    const connectionId = randomUUID();
    let check: CreationCheck;
    try {
      [, check] = await Promise.all([
        this.registry.addConnection({ connectionId, docKey, nodeId: this.options.nodeId, userId: principal.userId }),
        this.registry.checkCreation(docKey, principal.tenantId),
      ]);
    } catch (error) {
      void this.forgetConnection(connectionId);
      throw new WiresocketError('STORE_UNAVAILABLE', 'could not register the connection', { cause: error });
    }
    if (check.route?.region === this.options.region) return { check, connectionId };
    void this.forgetConnection(connectionId);
    return { check, connectionId: null };
  }

  /**
   * Drops a session that outlived its document (ended cluster-wide by another node): its
   * clients reconnect (1012) and get the new session; nothing is purged, since the session
   * that ended it did that already.
   */
  private retireStale(session: DocumentSession): void {
    this.options.logger.info({ docKey: session.docKey }, 'document session ended elsewhere during its grace here; starting anew');
    if (this.entries.get(session.docKey)?.kind === 'live') this.entries.delete(session.docKey);
    session.lifecycle.close('closed');
    session.closeAll(1012, 'SESSION_ENDED_ELSEWHERE');
    void this.dispose(session);
  }

  /**
   * Ends the document now, for the cluster (`DELETE /v1/documents/<name>`): its connections here
   * close with 4410, its routing row goes, its sync-layer state is dropped and the other nodes are
   * told (they close theirs with 4410). True when it was live (here or anywhere).
   */
  async deleteDocument(docKey: string): Promise<boolean> {
    if (this.shuttingDown) throw new WiresocketError('SERVER_SHUTTING_DOWN');
    const local = await this.settledSession(docKey);
    if (local) this.endDeleted(local);
    this.endRetries.cancel(docKey);
    // A DELETE's document.ended (no state: nothing of a deleted document is kept) commits with the unpin.
    const ended = this.options.webhooks?.endedEvent(docKey, 'deleted', null);
    const unpinned = await fromStore(() => this.options.routing.unpinDocument(docKey, ended));
    await fromStore(() => this.options.syncLayer.endDocument(docKey));
    this.announceDeleted(docKey);
    return local !== null || unpinned;
  }

  /** The live session of `docKey` here once any opening or ending of it is over; null when none. */
  private async settledSession(docKey: string): Promise<DocumentSession | null> {
    for (;;) {
      const entry = this.entries.get(docKey);
      if (!entry) return null;
      if (entry.kind === 'live') return entry.session;
      if (entry.kind === 'ending') await entry.ended;
      else await entry.opened.catch(() => undefined);
    }
  }

  /** The document was deleted (here or by another node): its connections close with 4410 and it is freed, nothing kept. */
  private endDeleted(session: DocumentSession): void {
    if (session.lifecycle.isArchived) return;
    if (this.entries.get(session.docKey)?.kind === 'live') this.entries.delete(session.docKey);
    session.lifecycle.close('closed');
    session.failAll(new WiresocketError('DOCUMENT_DELETED'));
    // Before the watch stops: the hook must see what this node still has in flight for it.
    this.options.hooks?.deletedHere?.(session.docKey).catch((error: unknown) => {
      this.options.logger.error({ docKey: session.docKey, err: error }, 'could not undo what this node wrote for a deleted document');
    });
    void this.dispose(session);
    this.options.logger.info({ docKey: session.docKey, tenantId: session.tenantId, reason: 'deleted' satisfies DocumentEndReason }, 'document session ended');
  }

  private announceDeleted(docKey: string): void {
    this.options.hooks?.ended?.({ docKey, reason: 'deleted', finalState: null }).catch((error: unknown) => {
      this.options.logger.warn({ docKey, err: error }, 'announcing a deleted document failed');
    });
  }

  /** Frees the session and stops what watched it. */
  private dispose(session: DocumentSession): Promise<void> {
    this.unwatch.get(session)?.();
    this.unwatch.delete(session);
    return session.dispose();
  }

  /**
   * Other nodes reaped this node as dead, so its `active_sessions` rows are gone and its
   * documents may have been ended under it. Its clients reconnect (1012) and register anew.
   */
  dropAllConnections(): void {
    for (const entry of this.entries.values()) {
      if (entry.kind === 'live') entry.session.closeAll(1012, 'NODE_REREGISTERED');
    }
  }

  /**
   * Ends documents whose only users were on nodes that died (their rows were just reaped),
   * once what is left of their grace has passed: their last clients left when the node died.
   * A document this node serves is left to its own session's lifecycle.
   */
  endOrphans(orphans: readonly OrphanedDocument[]): void {
    for (const { docKey, silentForMs } of orphans) {
      if (this.entries.has(docKey) || this.orphanTimers.has(docKey) || this.shuttingDown) continue;
      const timer = this.options.clock.setTimeout(() => {
        this.orphanTimers.delete(docKey);
        void this.purgeOrphan(docKey);
      }, Math.max(0, this.options.graceMs - silentForMs));
      this.orphanTimers.set(docKey, timer);
    }
  }

  /**
   * The routing store has not answered this node for `--node-timeout-ms`, so other regions may
   * have taken its documents over: every session closes its sockets with 1012 (the clients come
   * back when a node can prove the pin) and goes, keeping its sync-layer state, which may be the
   * only copy of recent edits if the pin turns out to be still this region's.
   */
  suspendAll(): void {
    this.routingLost = true;
    for (const [key, entry] of [...this.entries]) if (entry.kind === 'live') this.suspend(key, entry.session);
    this.options.logger.error({ documents: this.suspended.size }, 'the routing store has not answered for --node-timeout-ms: closed every document here (1012) until it does');
  }

  private suspend(key: string, session: DocumentSession): void {
    this.suspended.set(key, { tenantId: session.tenantId, epoch: session.epoch });
    this.entries.delete(key);
    session.lifecycle.close('closed');
    session.closeAll(1012, 'ROUTING_STORE_UNREACHABLE');
    void session.dispose();
  }

  /**
   * The store answers again: the connection rows the outage left go, and each suspended document
   * is checked against its route. One now pinned elsewhere or at a newer epoch is fenced: this
   * region's copy is dropped and never served. One still this region's keeps its state; its
   * clients come back, and if none does its grace ends it as usual. Rejects (and stays
   * suspended) when the store fails again; the caller retries.
   */
  async resumeAfterOutage(): Promise<void> {
    const removals = [...this.unremoved];
    const suspended = [...this.suspended];
    const checks = await Promise.all([
      Promise.all(suspended.map(([docKey, { tenantId }]) => this.registry.checkCreation(docKey, tenantId))),
      Promise.all(removals.map((connectionId) => this.registry.removeConnection(connectionId))),
    ]);
    for (const connectionId of removals) this.unremoved.delete(connectionId);
    const kept: OrphanedDocument[] = [];
    await Promise.all(
      suspended.map(async ([docKey, document], index) => {
        const verdict = fenceVerdict(document, checks[0][index].route, this.options.region);
        if (verdict.kind === 'keep') kept.push({ docKey, silentForMs: 0 });
        else {
          await this.options.syncLayer.deleteDocument(docKey);
          this.options.logger.warn({ docKey, heldEpoch: document.epoch, ...verdict.owner }, "fenced: the document was taken over while this node could not reach the routing store; dropped this region's copy");
        }
        this.suspended.delete(docKey);
      }),
    );
    this.routingLost = false;
    this.endOrphans(kept);
    this.options.logger.info({ fenced: suspended.length - kept.length, kept: kept.length }, 'the routing store answers again; serving');
  }

  /** Drops, in every session here, the awareness states that came through nodes now dead. */
  forgetNodesExcept(liveNodeIds: ReadonlySet<string>): void {
    for (const entry of this.entries.values()) {
      if (entry.kind === 'live') entry.session.forgetNodesExcept(liveNodeIds);
    }
  }

  /** Purges an orphan unless this node started serving it; local connects wait for the purge. */
  private purgeOrphan(docKey: string): Promise<void> {
    if (this.entries.has(docKey) || this.shuttingDown) return Promise.resolve();
    const ended = this.purgeDocument(docKey, 'node-reaped', () => this.layerState(docKey), null)
      .then((purged) => {
        if (purged) this.options.logger.info({ docKey, reason: 'node-reaped' }, 'document session ended');
      })
      .catch((error: unknown) => this.options.logger.error({ docKey, err: error }, 'could not purge a document orphaned by a dead node'))
      .finally(() => {
        const entry = this.entries.get(docKey);
        if (entry?.kind === 'ending' && entry.ended === ended) this.entries.delete(docKey);
      });
    this.entries.set(docKey, { kind: 'ending', ended });
    return ended;
  }

  /**
   * Ends the document for the cluster if no connection on any node uses it: the conditional
   * unpin lets exactly one node win, and only the winner drops the sync-layer state.
   */
  private async purgeDocument(
    docKey: string,
    reason: DocumentEndReason,
    finalState: () => Uint8Array | Promise<Uint8Array>,
    /** The state for the webhook's `document.ended`, when it is at hand without a store read. */
    webhookState: (() => Uint8Array) | null,
  ): Promise<boolean> {
    // The event goes into the unpin's own transaction: only the node that wins the purge reports it.
    const purged = await this.options.routing.unpinIfUnused(docKey, this.options.webhooks?.endedEvent(docKey, reason, webhookState));
    if (purged && (await this.announceEnd(docKey, reason, finalState))) await this.options.syncLayer.deleteDocument(docKey);
    return purged;
  }

  /**
   * The one place a document's end is announced (DocumentHooks.ended), by the node that won its
   * purge and before its sync-layer state is dropped. False when the announcement failed: the
   * state is kept then, and the announcement retried (EndRetries), never dropped silently.
   */
  private async announceEnd(docKey: string, reason: DocumentEndReason, finalState: () => Uint8Array | Promise<Uint8Array>): Promise<boolean> {
    const hooks = this.options.hooks;
    if (!hooks?.ended) return true;
    try {
      await hooks.ended({ docKey, reason, finalState: await finalState() });
      return true;
    } catch (error) {
      this.options.logger.error({ docKey, reason, err: error }, 'could not announce the end of a document (archive its final state); its sync-layer state is kept and the announcement retried');
      if (!this.shuttingDown) this.endRetries.schedule(docKey, reason);
      return false;
    }
  }

  /**
   * A retried end: done when the document is live again (its new session loaded the kept state and
   * will end it in turn), else announced with the state read back from the layer, then dropped.
   */
  private async retryEnd(docKey: string, reason: DocumentEndReason): Promise<void> {
    if (this.entries.has(docKey) || (await this.options.routing.getRoute(docKey)) !== null) return;
    let state: Uint8Array;
    try {
      state = await this.layerState(docKey);
    } catch (error) {
      this.options.logger.error({ docKey, err: error }, 'the final state of an ended document is lost: the sync layer no longer holds it and the archive never got it');
      return;
    }
    await this.options.hooks?.ended?.({ docKey, reason, finalState: state });
    if (!this.entries.has(docKey) && (await this.options.routing.getRoute(docKey)) === null) await this.options.syncLayer.deleteDocument(docKey);
  }

  /** The document's whole state as the sync layer holds it (no session here). */
  private layerState(docKey: string): Promise<Uint8Array> {
    return readDocumentState(this.options.syncLayer, docKey);
  }

  /** The live session of a document on this node, if any (tests, stats). */
  getSession(docKey: string): DocumentSession | null {
    const entry = this.entries.get(docKey);
    return entry?.kind === 'live' ? entry.session : null;
  }

  /** Live document sessions and their connections on this node whose key starts with `prefix`. */
  statsOf(prefix: string): { sessions: number; connections: number } {
    const stats = { sessions: 0, connections: 0 };
    for (const [key, entry] of this.entries) {
      if (entry.kind !== 'live' || !key.startsWith(prefix)) continue;
      stats.sessions++;
      stats.connections += entry.session.connectionCount;
    }
    return stats;
  }

  /** Sessions in any state on this node. */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every connection with 1012 and ends every session (graceful shutdown). */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.endRetries.stop();
    for (const timer of this.orphanTimers.values()) this.options.clock.clearTimeout(timer);
    this.orphanTimers.clear();
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
      attach: (socket, principal, create = yWebsocketConnection) => {
        const connection = create({
          socket,
          principal,
          connectionId,
          clock: this.options.clock,
          handshakeTimeoutMs: this.options.handshakeTimeoutMs,
          limits: this.options.limits,
          onLimit: this.options.onLimit,
          logger: this.options.logger,
        });
        if (session.lifecycle.isArchived) {
          // It ended while the upgrade ran (retired as stale, or shutdown): come back to the next one.
          connection.close(1012, 'SESSION_ENDED');
          void this.forgetConnection(connectionId);
          return connection;
        }
        session.attach(connection);
        return connection;
      },
      release: () => {
        session.cancelReservation();
        void this.participantLeft(session, connectionId);
      },
    };
  }

  /**
   * Waits out an ending session and joins a session being opened, so there is one per key. The
   * connect that opens the session may have registered its row on the way (`connectionId`).
   */
  private async liveSession(key: string, principal: Principal, hop: HopClaim | undefined): Promise<Opened> {
    for (;;) {
      const entry = this.entries.get(key);
      if (!entry) return this.openSession(key, principal, hop);
      if (entry.kind === 'live') return { session: entry.session, connectionId: null };
      if (entry.kind === 'ending') await entry.ended;
      else await entry.opened.catch(() => undefined);
    }
  }

  private async openSession(key: string, principal: Principal, hop: HopClaim | undefined): Promise<Opened> {
    const opened = this.createSession(key, principal, hop);
    this.entries.set(key, { kind: 'opening', opened });
    try {
      const result = await opened;
      if (this.routingLost) {
        // Opened across the start of an outage: it goes the way of the others (suspendAll).
        this.suspend(key, result.session);
        if (result.connectionId !== null) void this.forgetConnection(result.connectionId);
        throw new WiresocketError('STORE_UNAVAILABLE', 'the routing store has not answered for --node-timeout-ms');
      }
      this.entries.set(key, { kind: 'live', session: result.session });
      return result;
    } catch (error) {
      this.entries.delete(key);
      throw error;
    }
  }

  /**
   * The spec's order: (1) the key is built by the caller; (2) quota check; (3) sync-layer state;
   * (4) routing pin. The pin repeats the quota check atomically with its insert, so concurrent
   * first connects (on this node or others) cannot overshoot; the pre-check spares the sync
   * layer work for connects that would be refused anyway. Both store steps go through the
   * batcher: the first connects of many documents in one turn share one round trip per step.
   * A document routed to another region is left to it before this region's sync layer is
   * touched; one that another region claimed while this one prepared is dropped from it again.
   */
  private async createSession(key: string, principal: Principal, hop: HopClaim | undefined): Promise<Opened> {
    const claimHop = hop?.epoch === claimHopEpoch;
    // A residency hop comes to claim: the document is nobody's, no region's layer holds it.
    const early = claimHop ? null : await this.registerEarly(key, principal);
    const connectionId = early?.connectionId ?? null;
    try {
      const check = early?.check ?? (await fromStore(() => this.registry.checkCreation(key, principal.tenantId)));
      return { session: await this.createUnder(check, key, principal.tenantId, hop, connectionId !== null), connectionId };
    } catch (error) {
      if (connectionId !== null) void this.forgetConnection(connectionId);
      throw error;
    }
  }

  /** The rest of `createSession`, once the creation check is in; `registered`: the route it holds is this region's and proven by a row. */
  private async createUnder(check: CreationCheck, key: string, tenantId: string, hop: HopClaim | undefined, registered: boolean): Promise<DocumentSession> {
    const { syncLayer } = this.options;
    const claimHop = hop?.epoch === claimHopEpoch;
    const goneRegion = hop && !claimHop ? this.checkHopRoute(check.route, hop) : await this.placeConnect(check, key, tenantId, claimHop);
    if (registered && check.route !== null) {
      // Idempotent and region-local: the copy the hint saw stays, or a purge racing an older pin
      // dropped it and the session starts from an empty one, as a first connect would.
      await fromStore(() => syncLayer.initDocument(key));
      return this.openUnder(key, tenantId, { kind: 'existing', route: check.route });
    }
    if (check.route === null) {
      if (check.maxDocuments === null) throw new WiresocketError('TENANT_UNKNOWN', tenantId);
      if (check.liveDocuments >= check.maxDocuments) throw this.quotaExceeded(key, check.maxDocuments);
    }
    await fromStore(() => syncLayer.initDocument(key));
    const pin = await fromStore(() => (goneRegion ? this.takeOver(goneRegion) : this.claim(key, tenantId)));
    if (pin.kind === 'quota-exceeded' || pin.kind === 'unknown-tenant') {
      await fromStore(() => syncLayer.deleteDocument(key));
      throw pin.kind === 'unknown-tenant'
        ? new WiresocketError('TENANT_UNKNOWN', tenantId)
        : this.quotaExceeded(key, pin.maxDocuments);
    }
    if (hop && !claimHop && pin.kind === 'pinned') {
      // Purged between the check and the pin: a proxied connect must not claim (one hop, no claim).
      // Nothing was served under this claim: nothing to announce or keep.
      await fromStore(async () => {
        if (await this.options.routing.unpinIfUnused(key)) await syncLayer.deleteDocument(key);
      });
      throw new WiresocketError('HOP_NOT_OWNER', 'the document was purged meanwhile');
    }
    if (pin.route.region !== this.options.region) {
      // Another region won the claim race: nothing of the document may stay in this region's layer.
      await fromStore(() => syncLayer.deleteDocument(key));
      // A proxied connect is never proxied again, whatever happened since the edge's read.
      throw hop ? new WiresocketError('HOP_NOT_OWNER', `pinned to region ${pin.route.region} meanwhile`) : new PinnedElsewhereError(pin.route);
    }
    return this.openUnder(key, tenantId, pin);
  }

  /** Loads a session pinned to this region (claimed now, or found so), and prepares it. */
  private async openUnder(key: string, tenantId: string, pin: Extract<PinResult, { route: DocumentRoute }>): Promise<DocumentSession> {
    const session = this.newSession(key, tenantId, pin.route);
    await fromStore(() => session.load());
    try {
      await fromStore(() => this.prepare(session, pin.kind === 'pinned'));
    } catch (error) {
      await session.dispose();
      throw error;
    }
    const stopWatching = this.options.hooks?.live?.(session);
    if (stopWatching) this.unwatch.set(session, stopWatching);
    this.options.logger.info({ docKey: key, tenantId, region: this.options.region, pinned: pin.kind }, 'document session created');
    return session;
  }

  private quotaExceeded(key: string, maxDocuments: number): WiresocketError {
    this.options.webhooks?.quotaReached(key, maxDocuments);
    return new WiresocketError('QUOTA_EXCEEDED', `limit ${maxDocuments}`);
  }

  /** What a hook must put into the document before its first client is served (the archived state). */
  private async prepare(session: DocumentSession, claimed: boolean): Promise<void> {
    await this.options.hooks?.opening?.({
      docKey: session.docKey,
      claimed,
      stateVector: () => session.stateVector(),
      restore: (state) => session.restore(state),
    });
  }

  /** A proxied connect is served only under the claim the edge routed by (one hop, never a claim of its own). */
  private checkHopRoute(route: DocumentRoute | null, hop: HopClaim): null {
    if (route === null) throw new WiresocketError('HOP_NOT_OWNER', 'the document is not pinned');
    if (route.region !== this.options.region || route.epoch !== hop.epoch) {
      throw new WiresocketError('HOP_NOT_OWNER', `pinned to region ${route.region} at epoch ${route.epoch}, hop names ${hop.epoch}`);
    }
    return null;
  }

  /**
   * Where a connect (or a residency hop, `viaHop`) is served. A route to another region is left
   * to it (the caller proxies), unless that region has no live node (issue 15, point 4): then
   * this connect takes the document over; until the region's nodes have been silent for
   * `--node-timeout-ms` the proxy finds one to try, and the client gets 1013 when it does not
   * answer. A claim (or takeover) here needs the tenant's residency to allow this region, else
   * it goes to a live node of an allowed region (point 6). A hop never goes on: HOP_NOT_OWNER.
   * Returns the gone region's route to take over, or null.
   */
  private async placeConnect(check: CreationCheck, docKey: string, tenantId: string, viaHop: boolean): Promise<DocumentRoute | null> {
    const { route, allowedRegions } = check;
    const { region } = this.options;
    if (route !== null && route.region === region) return null;
    if (route !== null && (await fromStore(() => this.options.regionHasLiveNode(route.region)))) {
      if (viaHop) throw new WiresocketError('HOP_NOT_OWNER', `pinned to region ${route.region} at epoch ${route.epoch}`);
      this.dropLeftover(docKey);
      throw new PinnedElsewhereError(route);
    }
    if (allowedRegions === null || allowedRegions.includes(region)) return route;
    if (viaHop) throw new WiresocketError('HOP_NOT_OWNER', `the tenant's documents may not be pinned to region ${region}`);
    throw new PinnedElsewhereError(await fromStore(() => residencyTarget(docKey, tenantId, allowedRegions, this.options.regionHasLiveNode)));
  }

  /**
   * This region's layer holds no copy of a document pinned elsewhere, except one left from when
   * the region held it and its nodes died (SIGKILL: nobody dropped it), which another region has
   * since taken over: that copy is fenced here, the first time a node of the region sees the
   * newer pin (REGION-9). Not awaited: the proxy does not wait for it. Once per document and
   * process, so proxied connects cost no Redis call; the set is bounded and starts over when full.
   */
  private dropLeftover(docKey: string): void {
    if (this.droppedLeftovers.has(docKey)) return;
    if (this.droppedLeftovers.size >= 10_000) this.droppedLeftovers.clear();
    this.droppedLeftovers.add(docKey);
    this.options.syncLayer.deleteDocument(docKey).catch((error: unknown) => {
      this.droppedLeftovers.delete(docKey);
      this.options.logger.warn({ docKey, err: error }, "could not drop this region's leftover copy of a document pinned elsewhere");
    });
  }

  private claim(docKey: string, tenantId: string): Promise<PinResult> {
    return this.registry.pinDocument({ docKey, tenantId, region: this.options.region, nodeId: this.options.nodeId });
  }

  /** The store decides atomically; a row purged meanwhile is claimed afresh, one taken by another region is proxied to it. */
  private async takeOver(gone: DocumentRoute): Promise<PinResult> {
    const { region, nodeId, nodeTimeoutMs, logger } = this.options;
    const result = await this.options.routing.takeOverRoute({ docKey: gone.docKey, fromEpoch: gone.epoch, region, nodeId, nodeTimeoutMs });
    if (result.kind === 'taken') {
      logger.warn({ docKey: gone.docKey, fromRegion: gone.region, region, epoch: result.route.epoch, nodeTimeoutMs }, 'document taken over from a region with no live node');
      return { kind: 'pinned', route: result.route };
    }
    return result.route === null ? this.claim(gone.docKey, gone.tenantId) : { kind: 'existing', route: result.route };
  }

  private newSession(key: string, tenantId: string, route: DocumentRoute): DocumentSession {
    let session: DocumentSession;
    const updates = this.options.webhooks?.watchUpdates(key, { stateVector: () => session.stateVector(), isLive: () => !session.lifecycle.isArchived }) ?? null;
    const lifecycle = new SessionLifecycle({
      clock: this.options.clock,
      idleTimeoutMs: this.options.graceMs,
      onIdleTimeout: () => void this.endSession(session, 'idle-timeout'),
    });
    session = new DocumentSession({
      docKey: key,
      tenantId,
      pinnedAt: route.pinnedAt,
      epoch: route.epoch,
      syncLayer: this.options.syncLayer,
      lifecycle,
      clock: this.options.clock,
      coalescing: this.options.coalescing,
      limits: this.options.limits,
      logger: this.options.logger,
      onConnectionClosed: (closedSession, connection) => void this.participantLeft(closedSession, connection.id),
      ...this.storedUpdateHook(updates),
      onEndedElsewhere: (endedSession) => this.endDeleted(endedSession),
      mayRestoreVanishedState: (vanished) => this.mayRestoreVanishedState(vanished),
    });
    return session;
  }

  /**
   * A session's resync found the layer's state gone: its copy goes back only while its pin is
   * the one it was created under. No pin: the document was deleted (4410). Another pin: it ended
   * and started anew, or was taken over (1012, the clients reconnect to that one).
   */
  private async mayRestoreVanishedState(session: DocumentSession): Promise<boolean> {
    const route = await fromStore(() => this.options.routing.getRoute(session.docKey));
    if (route !== null && route.pinnedAt === session.pinnedAt && route.epoch === session.epoch) return true;
    if (route === null) this.endDeleted(session);
    else this.retireStale(session);
    return false;
  }

  /** What a session calls per stored client update: the webhooks' watch and the metrics, whichever exist. */
  private storedUpdateHook(updates: { changed(): void } | null): { onStoredUpdate?: () => void } {
    const counted = this.options.onStoredUpdate;
    if (updates === null) return counted ? { onStoredUpdate: counted } : {};
    if (!counted) return { onStoredUpdate: () => updates.changed() };
    return {
      onStoredUpdate: () => {
        updates.changed();
        counted();
      },
    };
  }

  /**
   * A connection (or a place reserved for one) is gone. Its `active_sessions` row goes first (the
   * spec: at once); then, if it was this node's last, the cluster-wide count decides: other nodes
   * still serving the document means this node just frees its copy; nobody means the grace starts.
   */
  private async participantLeft(session: DocumentSession, connectionId: string): Promise<void> {
    await this.forgetConnection(connectionId);
    if (!this.isIdleHere(session)) return;
    // Through the batcher: after this removal, and one count for all of a document's leaves at once.
    const elsewhere = await this.registry.countConnections(session.docKey).catch((error: unknown) => {
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
    const removal = this.registry.removeConnection(connectionId).catch((error: unknown) => {
      // Left in the store it would keep the document from ever being purged: retried once the store answers.
      this.unremoved.add(connectionId);
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
      ended = await this.purgeDocument(key, reason, () => session.encodeState(), () => session.encodeState());
    } catch (error) {
      this.options.logger.error({ docKey: key, err: error }, 'could not purge an ended document session');
    } finally {
      await this.dispose(session);
    }
    const fields = { docKey: key, tenantId: session.tenantId, reason };
    if (ended) this.options.logger.info(fields, 'document session ended');
    else this.options.logger.info(fields, 'document session released on this node; other nodes still serve it');
  }

  /** Runs a store call; a store failure becomes 4503 (retry), never a crash. */
}
