/**
 * The sync layer carries every document's live state between the nodes of a cluster and keeps it
 * safe for the lifetime of the session (DESIGN.md "Stores"; spec "State Synchronization").
 *
 * Contract (checked by test/sync/syncLayerContract.ts for every adapter):
 * - `append` resolves only once the update is stored; callers broadcast after it resolves, and
 *   a rejected append means nobody may see the update.
 * - appends to one document resolve in the order they were called.
 * - `attach` returns the document's state and then delivers every update and awareness message
 *   that other nodes append or publish after that state, with no gap and no duplicate of what
 *   the state already holds. A node never receives its own appends back.
 * - an append that rejected may still have been stored (its reply was lost). The layer asks the
 *   listeners to resync (`onResyncNeeded`) whenever it may have lost track: its backend was
 *   unreachable, or the document's stored state vanished or was created anew under them.
 * - updates entering the sync layer have been validated by the caller (never unchecked bytes).
 */
export interface SyncLayer {
  /**
   * Creates an empty state for the document if it has none (idempotent): true when this call
   * created it, false when a state was there already.
   */
  initDocument(docKey: string): Promise<boolean>;
  /**
   * Whether the layer holds a state for the document (no state is created). A node of a region
   * learns by it, without the global routing store, that the document is live in its region
   * (another node of it serves it, or served it within its grace): a hint, which the caller
   * proves against the routing row (issue 15, point 8).
   */
  holdsDocument(docKey: string): Promise<boolean>;
  /** Stores one validated Yjs update (V1 encoding); resolves once it is durable in the layer. */
  append(docKey: string, update: Uint8Array): Promise<void>;
  /** Relays an awareness update to other nodes; ephemeral, never stored. */
  publishAwareness(docKey: string, awarenessUpdate: Uint8Array): Promise<void>;
  /** Relays a Hocuspocus stateless message to other nodes on the awareness channel; never stored. */
  publishStateless(docKey: string, payload: string): Promise<void>;
  /** Loads the document's state and subscribes to what other nodes add after it. */
  attach(docKey: string, listener: SyncListener): Promise<SyncAttachment>;
  /** Drops the document's state and everything kept for it. */
  deleteDocument(docKey: string): Promise<void>;
  /**
   * Drops the document's state like `deleteDocument` and tells the listeners attached on every
   * other node (`onDocumentEnded`): the document was deleted, so their sessions end instead of
   * writing back what they hold (which a vanished state would otherwise make them do).
   */
  endDocument(docKey: string): Promise<void>;
  /**
   * Takes the document's lease `name` for `ttlMs`, or renews it when this node holds it already:
   * true when this node holds it now. One node holds a lease at a time; a holder that stops
   * renewing (it died) loses it when `ttlMs` has passed. Picks who does a document's periodic
   * cluster-wide work (its archive checkpoints) without a coordinator.
   */
  holdLease(docKey: string, name: string, ttlMs: number): Promise<boolean>;
  /** Resolves when the layer's backend answers; rejects otherwise (used by /readyz). */
  ping(): Promise<void>;
  /**
   * Whether the layer is connected to its backend right now (no round trip): a node refuses
   * new connections while it is not, rather than admit clients whose edits would fail.
   */
  readonly reachable: boolean;
  close(): Promise<void>;
}

export interface SyncListener {
  /** An update another node appended, in the order the layer stored it. */
  onRemoteUpdate(update: Uint8Array): void;
  /** An awareness update another node published; `fromNodeId` names that node. */
  onRemoteAwareness(awarenessUpdate: Uint8Array, fromNodeId: string): void;
  /** A stateless message another node published (a listener that has no use for one omits this). */
  onRemoteStateless?(payload: string, fromNodeId: string): void;
  /**
   * The layer may have lost track of this document: what this node appended may or may not be
   * stored (a lost reply), or the stored state vanished or was created anew (a Redis restart
   * without persistence, an expired key). The listener reconciles: it attaches again, applies
   * what it lacks and appends what the stored state lacks (a state-vector exchange with the layer).
   */
  onResyncNeeded(): void;
  /** Another node ended the document for good (`endDocument`: deleted); its state is gone. */
  onDocumentEnded?(): void;
  /**
   * What the listener holds (a Yjs state vector). A layer that has to hand a listener the whole
   * stored state (the entries it missed were compacted away) sends only what this lacks; a
   * listener without it gets the whole state again, every update of which it may already hold.
   */
  stateVector?(): Uint8Array;
}

export interface SyncAttachment {
  /** The document's merged state at attach time (a Yjs V1 update; `[0, 0]` when empty). */
  readonly state: Uint8Array;
  /** Stops delivery to this listener. */
  detach(): Promise<void>;
}
