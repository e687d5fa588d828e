import type { ArchiveReason } from '../lifecycle/index.js';

/** Why a document ended for the cluster. */
export type DocumentEndReason = ArchiveReason | 'node-reaped' | 'deleted';

/** A session being opened on this node, its sync-layer state loaded, no client served yet. */
export interface OpeningDocument {
  readonly docKey: string;
  /** True when this open claimed the document (a new routing row): no session of it was live anywhere. */
  readonly claimed: boolean;
  /** The loaded state's vector: what the document holds now. */
  stateVector(): Uint8Array;
  /** Stores `state` in the sync layer and merges it into the session (what an archive kept). */
  restore(state: Uint8Array): Promise<void>;
}

/** A live session on this node, as periodic work (checkpoints) sees it. */
export interface WatchedDocument {
  readonly docKey: string;
  /** Grows with every change the session applies (from any node): "did it change since?". */
  readonly revision: number;
  /** The whole state as one V1 update. */
  encodeState(): Uint8Array;
}

/** The announcement of a document's end, made once, by the node that ended it for the cluster. */
export interface DocumentEnded {
  readonly docKey: string;
  readonly reason: DocumentEndReason;
  /** Its final state (V1); null when it was deleted (nothing is to be kept). */
  readonly finalState: Uint8Array | null;
}

/**
 * The points of a document's life where other parts (the archive, webhooks) attach. Each is
 * optional; a server without hooks behaves as the spec says (nothing kept).
 */
export interface DocumentHooks {
  /**
   * Runs before the first client of the session on this node gets anything (its step 2): what
   * must be in the document by then goes in here. A rejection refuses the connect with 4503.
   */
  opening?(document: OpeningDocument): Promise<void>;
  /** The session is live on this node until the returned function is called. */
  live?(document: WatchedDocument): () => void;
  /**
   * The document ended for the cluster, announced by the one node that ended it, before its
   * sync-layer state is dropped. A rejection keeps that state (under the layer's safety TTL)
   * and the announcement is made again later, with the state read back from the layer.
   */
  ended?(ended: DocumentEnded): Promise<void>;
  /**
   * The document was deleted (a DELETE on any node) while its session was live on this node.
   * Runs on each such node, once it hears of it, before its watch stops: what this node wrote
   * for the document around the deletion (an archive checkpoint in flight, or one that landed
   * after the deleting node cleared the archive but before this node heard) must not outlive it.
   */
  deletedHere?(docKey: string): Promise<void>;
}
