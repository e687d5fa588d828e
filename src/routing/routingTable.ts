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
 */
export interface RoutingTable {
  getRoute(docKey: string): Promise<DocumentRoute | null>;
  /** Number of documents the tenant has pinned right now (its live document sessions). */
  countTenantDocuments(tenantId: string): Promise<number>;
  /** Atomically: quota check + insert of the routing row. */
  pinDocument(route: NewDocumentRoute): Promise<PinResult>;
  /** Removes the routing row (unpins the document); true when a row was removed. */
  unpinDocument(docKey: string): Promise<boolean>;
  /**
   * Removes the routing row only while no connection on any node uses the document, in one
   * atomic step: of several nodes whose grace ends at once, exactly one gets true and purges.
   */
  unpinIfUnused(docKey: string): Promise<boolean>;

  addConnection(connection: ActiveConnection): Promise<void>;
  removeConnection(connectionId: string): Promise<void>;
  /** Open connections to the document on every node. */
  countConnections(docKey: string): Promise<number>;

  heartbeat(node: NodeRecord): Promise<void>;
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
}

export type PinResult =
  | { kind: 'pinned'; route: DocumentRoute }
  | { kind: 'existing'; route: DocumentRoute }
  | { kind: 'quota-exceeded'; maxDocuments: number }
  | { kind: 'unknown-tenant' };

export interface ActiveConnection {
  connectionId: string;
  docKey: string;
  nodeId: string;
  userId: string;
}

export interface NodeRecord {
  nodeId: string;
  region: string;
  url: string;
}
