/** What one document connection may do (DESIGN.md "Close codes"; each limit names the abuse it stops). */
export interface DocumentLimits {
  /** Connections to one document on this node: room flooding. */
  maxConnectionsPerDocument: number;
  /** Average messages per second per connection, and ... */
  maxMessagesPerSecond: number;
  /** ... how many above it may come at once; beyond that: 4429 (a client starving its document). */
  messageBurst: number;
  /** Awareness changes relayed per second per connection; the excess is coalesced (cursor spam fans out N-fold). */
  maxAwarenessPerSecond: number;
  /** Largest awareness state, in bytes of JSON (presence used as a data channel). */
  maxAwarenessStateBytes: number;
  /**
   * Hocuspocus stateless messages per second per connection, with a burst of twice that; beyond
   * it 4429. Each is relayed to every other connection and node and cannot be coalesced like
   * awareness (every message is its own), so the general message rate alone lets one client
   * make 200 x N deliveries a second.
   */
  maxStatelessPerSecond: number;
}

export const defaultDocumentLimits: DocumentLimits = {
  maxConnectionsPerDocument: 500,
  maxMessagesPerSecond: 200,
  messageBurst: 400,
  maxAwarenessPerSecond: 20,
  maxAwarenessStateBytes: 8 * 1024,
  maxStatelessPerSecond: 20,
};

/** The limits a document connection can hit, as the metrics name them. */
export type DocumentLimitName = 'connections-per-document' | 'message-rate' | 'stateless-rate' | 'awareness-size' | 'unreachable-content';
