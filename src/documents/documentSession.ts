import { randomUUID } from 'node:crypto';
import * as Y from 'yjs';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import type { SessionLifecycle } from '../lifecycle/index.js';
import { isEmptyUpdate, type SyncAttachment, type SyncLayer, type SyncListener } from '../sync/index.js';
import type { CloseCode } from '../closeCodes.js';
import { WiresocketError } from '../errors.js';
import type { CoalescingBounds } from './adaptiveWindow.js';
import { AwarenessGate } from './awarenessGate.js';
import { DeferredApply } from './deferredApply.js';
import { AwarenessStates, type AwarenessOwner } from './awarenessStates.js';
import { DocumentConnection, type ConnectionHandler } from './documentConnection.js';
import type { DocumentLimits } from './documentLimits.js';
import {
  encodeAwarenessMessage,
  encodeAwarenessUpdate,
  encodeSyncStep1,
  encodeSyncUpdate,
} from './encodeServerMessage.js';
import type { AwarenessEntry, ClientMessage } from './protocol.js';
import { readAwarenessEntries } from './decodeClientFrame.js';
import { FullStateCache } from './fullStateCache.js';
import { InFlightClocks } from './inFlightClocks.js';
import { splitIntegrable, type CheckedUpdate } from './integrableSplit.js';
import { ResyncTask } from './resyncTask.js';
import { SharedMessage } from './sharedMessage.js';
import { UpdateCoalescer } from './updateCoalescer.js';

/** A client message carrying a Yjs update. */
type ClientUpdateMessage = Extract<ClientMessage, { type: 'sync-step2' | 'sync-update' }>;

/** Where a change came from, so broadcast and storage know what to do with it. */
export type ChangeOrigin = 'client' | 'sync-layer';

export interface DocumentSessionOptions {
  docKey: string;
  tenantId: string;
  /** When the routing row this session serves was pinned: tells this session from a later one. */
  pinnedAt: number;
  /** The epoch of the claim this session serves (a proxied connect must name it). */
  epoch: number;
  syncLayer: SyncLayer;
  lifecycle: SessionLifecycle;
  clock: Clock;
  /** Updates broadcast within the window go out merged, one frame per receiver (floor 0: each at once). */
  coalescing: CoalescingBounds;
  /** Awareness rate and size per connection. */
  limits: Pick<DocumentLimits, 'maxAwarenessPerSecond' | 'maxAwarenessStateBytes'>;
  logger: Logger;
  /** Called for every closed connection (the manager unregisters it and decides about the grace). */
  onConnectionClosed: (session: DocumentSession, connection: DocumentConnection) => void;
  /** Called after each client update is stored and relayed (webhooks' `document.updated`); must be cheap. */
  onStoredUpdate?: () => void;
  /** Another node deleted the document (the sync layer's `onDocumentEnded`). */
  onEndedElsewhere: (session: DocumentSession) => void;
  /**
   * The sync layer had lost the document's state (a resync found none): true when this session
   * still serves the document's pin, so writing its copy back is right (Redis restarted empty).
   * False when the document ended for the cluster meanwhile (a DELETE, a takeover): the manager
   * ends the session then, and its copy must not come back. None: always true.
   */
  mayRestoreVanishedState?: (session: DocumentSession) => Promise<boolean>;
}

/**
 * One live document on this node: its Y.Doc, its connections and their awareness states.
 * Every client update is validated (at decode), stored in the sync layer, and only then
 * broadcast to every connection, the sender included (y-websocket 4 shows "saved" only when
 * its own update comes back); it is applied to the Y.Doc in batches (`DeferredApply`), before
 * anything reads the document. When the sync layer may have lost track (a failed append, a
 * Redis that came back empty), the session reconciles with it: see `exchangeWithSyncLayer`.
 */
export class DocumentSession implements ConnectionHandler, SyncListener {
  readonly docKey: string;
  readonly tenantId: string;
  readonly pinnedAt: number;
  readonly epoch: number;
  readonly lifecycle: SessionLifecycle;
  // A guid of our own: Yjs's default draws each of its 36 characters from WebCrypto (31 calls),
  // 83 ms of a 5,000-client storm over 1,000 documents (issue 14). The guid never leaves the node.
  private readonly doc = new Y.Doc({ gc: true, guid: randomUUID() });
  private readonly connections = new Set<DocumentConnection>();
  private readonly awareness = new AwarenessStates();
  /** Owners of the awareness states announced on each other node, so a dead node's go with it. */
  private readonly remoteOwners = new Map<string, AwarenessOwner>();
  private readonly resync: ResyncTask;
  private readonly outgoing: UpdateCoalescer;
  private readonly fullState = new FullStateCache(this.doc);
  private readonly inFlight = new InFlightClocks();
  /** Client updates stored and relayed, applied in batches (read the document through `current`). */
  private readonly deferred = new DeferredApply((updates) => this.applyClientBatch(updates));
  /** What the document holds of a client once every update in flight or deferred is applied. */
  private readonly knownClock = (client: number): number =>
    Math.max(Y.getState(this.doc.store, client), this.deferred.clockOf(client), this.inFlight.clockOf(client));
  private attachment: SyncAttachment | null = null;
  private disposed = false;
  /** Connections admitted (quota passed, upgrade in progress) but not yet attached. */
  private reserved = 0;
  /** Whether a client update was seen to leave content pending (a bug; logged once). */
  private pendingReported = false;
  /** Whether the last awareness relay to other nodes failed (logged once per streak). */
  private relayFailing = false;
  /** Changes applied so far, from any node (checkpoints compare it). */
  private changes = 0;
  private lastChange: number;
  /** The same for stateless messages. */
  private statelessRelayFailing = false;

  constructor(private readonly options: DocumentSessionOptions) {
    this.docKey = options.docKey;
    this.tenantId = options.tenantId;
    this.pinnedAt = options.pinnedAt;
    this.epoch = options.epoch;
    this.lifecycle = options.lifecycle;
    this.lastChange = options.clock.now();
    this.outgoing = new UpdateCoalescer(
      options.coalescing,
      (update) => this.broadcast(encodeSyncUpdate(update)),
      () => this.connections.size,
    );
    this.resync = new ResyncTask({
      clock: options.clock,
      run: () => this.exchangeWithSyncLayer(),
      canRun: () => !this.disposed && this.participantCount > 0,
      onFailure: (error, attempt) => {
        if (attempt === 1) this.options.logger.warn({ docKey: this.docKey, err: error }, 'resync with the sync layer failed; retrying');
      },
      onSuccess: (failures) => {
        if (failures > 0) this.options.logger.info({ docKey: this.docKey, failures }, 'resynced with the sync layer');
      },
    });
  }

  /** One change applied: counted for checkpoints, timed for the dashboard's last activity. */
  private changed(): void {
    this.changes++;
    this.lastChange = this.options.clock.now();
  }

  /** Loads the state from the sync layer and starts hearing other nodes. */
  async load(): Promise<void> {
    this.attachment = await this.options.syncLayer.attach(this.docKey, this);
    Y.applyUpdate(this.doc, this.attachment.state, 'sync-layer' satisfies ChangeOrigin);
  }

  /** Grows with every change stored or heard (a checkpoint's "did it change since?"). */
  /** When the document last changed here (any origin), by the session's clock; its creation until then. */
  get lastChangeAt(): number {
    return this.lastChange;
  }

  get revision(): number {
    return this.changes;
  }

  /**
   * Merges a state kept outside the sync layer (the archive's) into the document: stored first,
   * as every change is, then applied. Run before any client is attached, so step 2 has it.
   */
  async restore(state: Uint8Array): Promise<void> {
    await this.options.syncLayer.append(this.docKey, state);
    Y.applyUpdate(this.current, state, 'sync-layer' satisfies ChangeOrigin);
  }

  /**
   * An update from the HTTP API, checked by `validateUpdate` as a client's is: stored, then
   * relayed to every connection and applied. Content that builds on clocks the document lacks
   * is refused whole (a client would keep and resend it; a request cannot), nothing stored.
   */
  async applyServerUpdate(checked: CheckedUpdate): Promise<void> {
    if (isEmptyUpdate(checked.bytes)) return;
    const split = splitIntegrable(checked, this.knownClock);
    if (split.refused) {
      const missing = Object.fromEntries([...split.missing].slice(0, 8));
      throw new WiresocketError('UPDATE_UNREACHABLE', `waiting for client clocks ${JSON.stringify(missing)}`);
    }
    // Nothing the document lacks: stored already.
    if (split.update === null) return;
    await this.storeAndRelay(split.update, split.reach);
  }

  onDocumentEnded(): void {
    this.options.onEndedElsewhere(this);
  }

  /** Ends every connection with the error's close code (a 44xx gets its auth message first). */
  failAll(error: WiresocketError): void {
    this.outgoing.flush();
    for (const connection of [...this.connections]) connection.fail(error);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Live or about-to-be-live participants on this node. */
  get participantCount(): number {
    return this.connections.size + this.reserved;
  }

  /** Holds a place for a connection whose upgrade is under way, so the grace cannot end it. */
  reserve(): void {
    this.reserved++;
    this.lifecycle.participantJoined();
    this.resync.resume();
  }

  /** A reserved place that never became a connection (the upgrade failed). */
  cancelReservation(): void {
    this.reserved--;
  }

  /** Turns a reservation into a live connection and runs the server side of the handshake. */
  attach(connection: DocumentConnection): void {
    this.reserved--;
    this.connections.add(connection);
    connection.bind(this);
    // Our step 1 makes the client upload what we lack (edits it made offline).
    if (connection.sendsStepOneAtAttach) connection.send(encodeSyncStep1(this.current));
    const states = this.awareness.snapshot();
    if (states) connection.send(encodeAwarenessMessage(states));
  }

  async handleMessage(connection: DocumentConnection, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'sync-step1':
        this.deferred.flush();
        connection.sendShared(this.fullState.stepTwoFor(message.stateVector));
        if (!connection.sendsStepOneAtAttach) connection.send(encodeSyncStep1(this.doc));
        return;
      case 'sync-step2':
      case 'sync-update':
        return this.handleClientUpdate(connection, message);
      case 'awareness':
        return this.handleClientAwareness(connection, message.update, message.entries);
      case 'query-awareness': {
        const states = this.awareness.snapshot();
        if (states) connection.send(encodeAwarenessMessage(states));
        return;
      }
      case 'auth':
        return;
      case 'stateless':
        return this.relayStateless(connection, message.payload);
      default: {
        const unknown: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unknown)}`);
      }
    }
  }

  connectionClosed(connection: DocumentConnection): void {
    if (!this.connections.delete(connection)) return;
    const removal = this.awareness.removeOwner(connection);
    if (removal) this.relayAwareness(removal, true);
    this.options.onConnectionClosed(this, connection);
  }

  /** An update another node stored: apply it and pass it on to our connections. */
  onRemoteUpdate(update: Uint8Array): void {
    this.applyRemoteAndBroadcast(update);
  }

  onResyncNeeded(): void {
    this.resync.request();
  }

  /** What the document holds, so a sync layer's recovery sends only what it lacks. */
  stateVector(): Uint8Array {
    return Y.encodeStateVector(this.current);
  }

  onRemoteAwareness(awarenessUpdate: Uint8Array, fromNodeId: string): void {
    let changed: boolean;
    try {
      changed = this.awareness.apply(readAwarenessEntries(awarenessUpdate), this.remoteOwner(fromNodeId));
    } catch (error) {
      this.options.logger.warn({ docKey: this.docKey, err: error }, 'ignored an undecodable awareness update from another node');
      return;
    }
    if (changed) this.broadcast(encodeAwarenessMessage(awarenessUpdate));
  }

  /** A stateless message from a connection on another node: every connection here gets it. */
  onRemoteStateless(payload: string): void {
    for (const connection of this.connections) connection.sendStateless(payload);
  }

  /**
   * Removes the awareness states announced through nodes that are not in `liveNodeIds` (a node
   * that died cannot announce its clients' departure) and tells this node's clients. Every node
   * does this for itself, so the removal is not published.
   */
  forgetNodesExcept(liveNodeIds: ReadonlySet<string>): void {
    for (const [nodeId, owner] of this.remoteOwners) {
      if (liveNodeIds.has(nodeId)) continue;
      this.remoteOwners.delete(nodeId);
      const removal = this.awareness.removeOwner(owner);
      if (removal) this.broadcast(encodeAwarenessMessage(removal));
    }
  }

  /** Closes every connection with the given code (shutdown). */
  closeAll(code: 1012 | 1013 | 1000 | 4503, reason: string): void {
    this.outgoing.flush();
    for (const connection of [...this.connections]) connection.close(code, reason);
  }

  /**
   * Ends every connection of this document for good with a 44xx code (the document was deleted,
   * or may no longer be used): a y-websocket socket closes with the code; a Hocuspocus document
   * gets CLOSE with `reason` and its socket stays open for its other documents (HOCUS-11).
   */
  endConnections(code: CloseCode, reason: string): void {
    this.outgoing.flush();
    for (const connection of [...this.connections]) connection.close(code, reason);
  }

  /** Frees everything this session holds on this node. */
  async dispose(): Promise<void> {
    this.outgoing.flush();
    this.disposed = true;
    this.resync.stop();
    const attachment = this.attachment;
    this.attachment = null;
    this.connections.clear();
    this.deferred.discard();
    this.doc.destroy();
    if (attachment) await attachment.detach();
  }

  /** The document's full state (for tests, hooks and the HTTP API). */
  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.current);
  }

  /** The document with every deferred update applied: what any read of it must see. */
  private get current(): Y.Doc {
    this.deferred.flush();
    return this.doc;
  }

  private async handleClientUpdate(connection: DocumentConnection, message: ClientUpdateMessage): Promise<void> {
    if (message.type === 'sync-step2') connection.stateAnswered();
    // An update that brings nothing is acknowledged at once (a Hocuspocus client counts on it).
    if (isEmptyUpdate(message.update)) return connection.acknowledgeUpdate();
    if (connection.isReadOnly) return connection.noticeReadOnly();
    const split = splitIntegrable(message.checked, this.knownClock);
    if (split.refused) this.refuseUnreachable(connection, message.type, split.missing);
    // Refused content comes back in the client's next step 2 (acknowledged in turn), as Hocuspocus
    // acknowledges an update that integrates only in part: the acknowledgement counts messages.
    if (split.update === null) return connection.acknowledgeUpdate();
    await this.storeAndRelay(split.update, split.reach, connection);
  }

  /**
   * Stores what the document lacks (a client's or the HTTP API's), then acknowledges it to its
   * sender, if any, and, unless the session ended meanwhile, relays and applies it. Its clocks
   * count as known while the append is under way, so a later update building on them passes.
   */
  private async storeAndRelay(update: Uint8Array, reach: ReadonlyMap<number, number>, from?: DocumentConnection): Promise<void> {
    this.inFlight.claim(reach);
    try {
      await this.options.syncLayer.append(this.docKey, update);
    } catch (error) {
      // Not seen by anyone; a client keeps it and resends after reconnecting. The append may
      // still have been stored (a lost reply), or the layer may have lost the document: either
      // way this node's copy and the layer's must be reconciled.
      this.resync.request();
      throw new WiresocketError('STORE_UNAVAILABLE', 'sync layer append failed', { cause: error });
    } finally {
      this.inFlight.release();
    }
    from?.acknowledgeUpdate();
    if (this.lifecycle.isArchived) return;
    this.changed();
    this.deferred.add(update, reach);
    this.outgoing.add(update);
    this.options.onStoredUpdate?.();
  }

  /**
   * Stateless messages go to the document's other connections, here and (on the awareness
   * channel) on every other node, and are never stored.
   */
  private relayStateless(from: DocumentConnection, payload: string): void {
    if (!from.takeStatelessToken()) return;
    for (const connection of this.connections) if (connection !== from) connection.sendStateless(payload);
    this.options.syncLayer.publishStateless(this.docKey, payload).then(
      () => {
        this.statelessRelayFailing = false;
      },
      (error: unknown) => {
        // Ephemeral like awareness: nothing to retry; one line per outage.
        if (!this.statelessRelayFailing) this.options.logger.warn({ docKey: this.docKey, err: error }, 'stateless relay to other nodes failed');
        this.statelessRelayFailing = true;
      },
    );
  }

  /**
   * Content that builds on what this document lacks is neither stored nor relayed (see
   * `splitIntegrable`); the client still has it. A live update that arrived ahead of what it
   * builds on (an edit made before our step 1 was answered, or one a second tab relayed over
   * BroadcastChannel before its author's update reached us) comes back whole in the client's
   * answer to a fresh step 1. A step 2 with such gaps is what the client itself cannot apply yet:
   * asking again would only bring the same, so it is not asked again.
   */
  private refuseUnreachable(connection: DocumentConnection, type: ClientUpdateMessage['type'], missing: ReadonlyMap<number, number>): void {
    connection.noticeUnreachableContent(missing);
    if (type === 'sync-update' && connection.askForState()) connection.send(encodeSyncStep1(this.current));
  }

  /**
   * An update from another node, applied at once (after the deferred batch, which it may build
   * on). Validation makes a throwing apply unexpected; if one slips through anyway it is logged
   * and not relayed, so one bad update cannot take the session (or the process) down with it.
   */
  private applyRemoteAndBroadcast(update: Uint8Array): void {
    try {
      Y.applyUpdate(this.current, update, 'sync-layer' satisfies ChangeOrigin);
    } catch (error) {
      this.options.logger.error({ docKey: this.docKey, origin: 'sync-layer', err: error }, 'a validated update failed to apply; not relayed');
      return;
    }
    this.changed();
    this.outgoing.add(update);
  }

  /**
   * A batch of client updates, already stored and relayed, in one transaction. A throw here
   * (validation makes it unexpected) is logged: the updates are in the sync layer and the next
   * resync or load brings the document back in line with it.
   */
  private applyClientBatch(updates: readonly Uint8Array[]): void {
    const hadPending = this.hasPending();
    try {
      Y.transact(this.doc, () => {
        for (const update of updates) Y.applyUpdate(this.doc, update, 'client' satisfies ChangeOrigin);
      }, 'client' satisfies ChangeOrigin);
    } catch (error) {
      this.options.logger.error({ docKey: this.docKey, origin: 'client', updates: updates.length, err: error }, 'validated updates failed to apply');
      this.resync.request();
      return;
    }
    // splitIntegrable let through only what integrates; if Yjs disagrees, say so (once).
    if (!hadPending && this.hasPending() && !this.pendingReported) {
      this.pendingReported = true;
      this.options.logger.error({ docKey: this.docKey }, 'a client update left content pending after the dependency check');
    }
  }

  private hasPending(): boolean {
    return this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
  }

  /**
   * Applies what a reconciliation read and broadcasts only what it changed: the diff always
   * repeats the whole delete set, which clients need not hear again after every Redis blip.
   */
  private applyNewsFromLayer(diff: Uint8Array): void {
    const changes: Uint8Array[] = [];
    const capture = (update: Uint8Array) => changes.push(update);
    // Deferred client updates are not news: applied first, they stay out of the capture.
    const doc = this.current;
    doc.on('update', capture);
    try {
      Y.applyUpdate(doc, diff, 'sync-layer' satisfies ChangeOrigin);
    } catch (error) {
      this.options.logger.error({ docKey: this.docKey, err: error }, 'the stored state failed to apply during a resync');
      return;
    } finally {
      doc.off('update', capture);
    }
    if (changes.length > 0) this.changed();
    for (const change of changes) this.outgoing.add(change);
  }

  /**
   * Only the connection's own state counts, at its gate's rate; the bytes it sent are relayed as
   * they are when they held nothing else (what stock clients send), else its entry is re-encoded.
   */
  private handleClientAwareness(connection: DocumentConnection, update: Uint8Array, entries: AwarenessEntry[]): void {
    const gate = (connection.awarenessGate ??= this.newAwarenessGate(connection));
    const admitted = gate.admit(entries, (clientId) => this.mayClaim(connection, clientId));
    if (admitted) this.applyOwnAwareness(connection, admitted.entry, admitted.whole ? update : null);
  }

  private newAwarenessGate(connection: DocumentConnection): AwarenessGate {
    const { limits, clock } = this.options;
    return new AwarenessGate({
      clock,
      ratePerSecond: limits.maxAwarenessPerSecond,
      maxStateBytes: limits.maxAwarenessStateBytes,
      release: (entry) => {
        if (!connection.isClosed) this.applyOwnAwareness(connection, entry, null);
      },
    });
  }

  private applyOwnAwareness(connection: DocumentConnection, entry: AwarenessEntry, sentBytes: Uint8Array | null): void {
    if (this.awareness.apply([entry], connection)) this.relayAwareness(sentBytes ?? encodeAwarenessUpdate([entry]), false);
  }

  /**
   * A connection may claim a client id nobody holds, or one another connection of the same
   * user holds (the same client on a new socket before the old one is noticed gone). A state
   * that came through another node stays that node's until it goes away with its owner.
   */
  private mayClaim(connection: DocumentConnection, clientId: number): boolean {
    const owner = this.awareness.ownerOf(clientId);
    if (owner === undefined || owner === connection) return true;
    return owner instanceof DocumentConnection && owner.principal.userId === connection.principal.userId;
  }

  /** Awareness goes to every local connection (the sender too: keeps a lone client alive). */
  private relayAwareness(awarenessUpdate: Uint8Array, fromServer: boolean): void {
    this.broadcast(encodeAwarenessMessage(awarenessUpdate));
    this.options.syncLayer.publishAwareness(this.docKey, awarenessUpdate).then(
      () => {
        this.relayFailing = false;
      },
      (error: unknown) => {
        // Awareness is ephemeral and every client renews it; one line per outage is enough.
        if (!this.relayFailing) this.options.logger.warn({ docKey: this.docKey, err: error, fromServer }, 'awareness relay to other nodes failed');
        this.relayFailing = true;
      },
    );
  }

  private remoteOwner(nodeId: string): AwarenessOwner {
    let owner = this.remoteOwners.get(nodeId);
    if (!owner) {
      owner = Object.freeze({ remoteNode: nodeId });
      this.remoteOwners.set(nodeId, owner);
    }
    return owner;
  }

  /**
   * The state-vector exchange with the sync layer (re-attach, then both directions): what the
   * stored state holds and this node lacks (an append whose reply was lost, what other nodes
   * wrote while the subscription was down) is applied and broadcast; what this node holds and
   * the stored state lacks (Redis restarted empty) is appended. The new attachment replaces the
   * old one only once it is in place, so no remote update falls between the two.
   */
  private async exchangeWithSyncLayer(): Promise<void> {
    const { syncLayer } = this.options;
    if ((await syncLayer.initDocument(this.docKey)) && !(await this.mayRestore())) return;
    const fresh = await syncLayer.attach(this.docKey, this);
    if (this.disposed) return fresh.detach();
    const previous = this.attachment;
    this.attachment = fresh;
    try {
      this.applyNewsFromLayer(Y.diffUpdate(fresh.state, Y.encodeStateVector(this.current)));
      const lackedByLayer = Y.encodeStateAsUpdate(this.current, Y.encodeStateVectorFromUpdate(fresh.state));
      if (!isEmptyUpdate(lackedByLayer)) await syncLayer.append(this.docKey, lackedByLayer);
    } finally {
      await previous?.detach();
    }
  }

  /**
   * This resync just created the document's state anew. A DELETE drops the state after its unpin,
   * and this node may hear of it (onDocumentEnded) only after its own append failed on the missing
   * state and asked for this resync: the pin decides. Not restoring, or not knowing yet (the
   * store failed: the retry asks again), the state just created goes again, so nothing of the
   * deleted document is left in the layer.
   */
  private async mayRestore(): Promise<boolean> {
    const ask = this.options.mayRestoreVanishedState;
    if (!ask) return true;
    let restoring = false;
    try {
      restoring = await ask(this);
      return restoring;
    } finally {
      if (!restoring) await this.options.syncLayer.deleteDocument(this.docKey);
    }
  }

  private broadcast(message: Uint8Array): void {
    const shared = SharedMessage.of(message);
    for (const connection of this.connections) connection.sendShared(shared);
  }
}
