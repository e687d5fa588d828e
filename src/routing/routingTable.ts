import type { OutboxEvent } from './outboxEvent.js';

/**
 * Routing and session registry shared by every node of a cluster (DESIGN.md "Stores"):
 * `document_routing` pins a live document to a region and counts against its tenant's quota;
 * `active_sessions` holds one row per open connection on any node; `nodes` holds heartbeats.
 *
 * Contract (checked by test/routing/routingTableContract.ts for every adapter):
 * - `pinDocument` checks the tenant's live document count against its `max_documents` and
 *   inserts the routing row in one atomic step: concurrent calls never overshoot the quota.
 * - pinning a document that is already pinned returns the existing route and does not count
 *   against the quota again.
 * - every new pin (claim) of a document carries an epoch one above the highest the document ever
 *   had, purges included: the epoch is the fencing token regions check (issue 15), so a stale
 *   route or hop naming an older claim can always be told from the current one.
 */
export interface RoutingTable {
  getRoute(docKey: string): Promise<DocumentRoute | null>;
  /** Number of documents the tenant has pinned right now (its live document sessions). */
  countTenantDocuments(tenantId: string): Promise<number>;
  /** Atomically: quota check + insert of the routing row. */
  pinDocument(route: NewDocumentRoute): Promise<PinResult>;
  /**
   * Claims for another region a document whose pinned region is gone (issue 15, point 4): in one
   * atomic step, and only while the row still carries `fromEpoch` and no node of its region has
   * beaten within `nodeTimeoutMs`, the row moves to the caller's region and node at the next
   * epoch, and the document's connection rows of nodes that stopped beating go (they would keep
   * the new owner from ever purging it). Of concurrent takeovers exactly one wins; the others,
   * and a takeover of a region that is alive, get `refused` with the row as it stands.
   */
  takeOverRoute(takeover: RouteTakeover): Promise<TakeoverResult>;
  /**
   * Pins a board (issue 15, point 3) to the caller's region and node unless it is pinned already,
   * in one atomic step, at the next epoch like a document's claim, and answers the row as it
   * stands. A board's row carries no tenant: it never counts against `max_documents`.
   */
  pinBoard(route: Omit<NewDocumentRoute, 'tenantId'>): Promise<DocumentRoute>;
  /**
   * Removes the routing row (unpins the document); true when a row was removed. With `ended`,
   * the same transaction puts that event in the webhook outbox when a row was removed (a
   * DELETE's `document.ended`), as `unpinIfUnused` does.
   */
  unpinDocument(docKey: string, ended?: OutboxEvent): Promise<boolean>;
  /**
   * Removes the routing row only while no connection on any node uses the document, in one
   * atomic step: of several nodes whose grace ends at once, exactly one gets true and purges.
   * With `ended`, the winner's transaction also puts that event in the webhook outbox (issue 17):
   * the end and its announcement commit together, or neither does.
   */
  unpinIfUnused(docKey: string, ended?: OutboxEvent): Promise<boolean>;

  /**
   * Runs the operations in one transaction and one round trip, in the order given, and returns
   * one result per operation at the same index. The batch succeeds or fails as a whole: when it
   * throws, none of its writes happened. Each pin keeps its quota check atomic with its insert
   * and sees the pins before it in the batch. (The group commit of many connects: `RoutingBatcher`.)
   */
  runBatch(operations: readonly RoutingOperation[]): Promise<RoutingOperationResult[]>;

  addConnection(connection: ActiveConnection): Promise<void>;
  removeConnection(connectionId: string): Promise<void>;
  /** Open connections to the document on every node. */
  countConnections(docKey: string): Promise<number>;
  /**
   * The pinned documents whose key starts with `prefix` (a `tenant::app::`), in key order (byte
   * order), after `afterKey` when given, at most `limit`, each with its connections on every node.
   */
  listDocuments(prefix: string, afterKey: string | null, limit: number): Promise<ListedDocument[]>;

  /**
   * Writes the node's heartbeat row. Resolves false when the row was missing, which after the
   * first beat means other nodes took this node for dead and reaped it (its connection rows
   * are gone too): the caller must stop trusting its own registrations.
   */
  heartbeat(node: NodeRecord): Promise<boolean>;
  /**
   * Reaps the nodes other than `selfId` whose heartbeat is older than `timeoutMs`: deletes their
   * connection rows and heartbeat rows in one atomic step, and returns the pinned documents
   * that no connection on any live node uses any more, which nobody would end otherwise. Of
   * several nodes reaping at once, one gets the result and the others an empty one.
   */
  reapStaleNodes(timeoutMs: number, selfId: string): Promise<ReapedNodes>;
  /** Ids of the nodes whose heartbeat is at most `timeoutMs` old. */
  liveNodeIds(timeoutMs: number): Promise<string[]>;
  /** The nodes whose heartbeat is at most `timeoutMs` old, with their region and advertised url, by node id. */
  liveNodes(timeoutMs: number): Promise<NodeRecord[]>;
  /**
   * Removes the node's heartbeat and connection rows, and unpins the documents it pinned that no
   * connection on any node still uses (clean shutdown, or a node restarted under the same id
   * clearing what its crashed predecessor left: otherwise those pins would hold quota forever).
   */
  removeNode(nodeId: string): Promise<void>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewDocumentRoute {
  docKey: string;
  tenantId: string;
  region: string;
  nodeId: string;
}

export interface DocumentRoute extends NewDocumentRoute {
  pinnedAt: number;
  /** Grows with each claim of the document, across purges (the fencing token of regions). */
  epoch: number;
}

export interface RouteTakeover {
  docKey: string;
  /** The epoch the caller saw pinned to the gone region. */
  fromEpoch: number;
  region: string;
  nodeId: string;
  /** A node whose heartbeat is older is dead (`--node-timeout-ms`). */
  nodeTimeoutMs: number;
}

export type TakeoverResult = { kind: 'taken'; route: DocumentRoute } | { kind: 'refused'; route: DocumentRoute | null };

export type PinResult =
  | { kind: 'pinned'; route: DocumentRoute }
  | { kind: 'existing'; route: DocumentRoute }
  | { kind: 'quota-exceeded'; maxDocuments: number }
  | { kind: 'unknown-tenant' };

/** One step of `runBatch`. */
export type RoutingOperation =
  | { kind: 'add-connection'; connection: ActiveConnection }
  | { kind: 'remove-connection'; connectionId: string }
  | { kind: 'pin'; route: NewDocumentRoute }
  /** `countConnections` inside the batch: sees the rows the operations before it wrote or removed. */
  | { kind: 'count-connections'; docKey: string }
  /** What a first connect needs to know before it creates a session (read only). */
  | { kind: 'creation-check'; docKey: string; tenantId: string };

export type RoutingOperationResult =
  | { kind: 'done' }
  | { kind: 'pin'; result: PinResult }
  | { kind: 'count'; count: number }
  | { kind: 'creation-check'; check: CreationCheck };

/** The quota pre-check of a first connect (the pin repeats it atomically). */
export interface CreationCheck {
  /** The document's route if it is pinned already (then the quota does not apply). */
  route: DocumentRoute | null;
  /** The tenant's `max_documents`; null when the tenant does not exist. */
  maxDocuments: number | null;
  /** Documents the tenant has pinned now. */
  liveDocuments: number;
  /** The tenant's residency: the regions its documents may be pinned to; null: anywhere. */
  allowedRegions: readonly string[] | null;
}

/** One row of `listDocuments`: the route and how many connections use the document. */
export interface ListedDocument extends DocumentRoute {
  connections: number;
}

export interface ActiveConnection {
  connectionId: string;
  docKey: string;
  nodeId: string;
  userId: string;
}

export interface ReapedNodes {
  nodeIds: string[];
  orphans: OrphanedDocument[];
}

/** A pinned document whose only users were on reaped nodes. */
export interface OrphanedDocument {
  docKey: string;
  /** How long ago the most recent of those nodes beat last (its clients left at most then). */
  silentForMs: number;
}

export interface NodeRecord {
  nodeId: string;
  region: string;
  url: string;
}
