/**
 * Every limit of the board service, each a named option with a safe default and the abuse it
 * stops (STYLE 11). Issue 4 "Limits and bad input".
 */
export interface BoardLimits {
  /** Largest element, as JSON bytes: one element cannot eat the board's memory or a flush. */
  maxElementBytes: number;
  /** Mutations per batch: one batch cannot hold the board (and its storage write) for long. */
  maxMutationsPerBatch: number;
  /** Participants per board on this node: beyond it a join is refused (1013, try later). */
  maxParticipants: number;
  /** Batches a connection may send per second (token bucket, burst of one second's worth). */
  maxBatchesPerSecond: number;
  /** Presence messages relayed per connection per second; the excess is coalesced, never queued. */
  maxPresencePerSecond: number;
  /** Largest presence payload, as JSON bytes (cursors and selections are small). */
  maxPresenceBytes: number;
  /** Longest page id, element id, element type, display name and client batch id. */
  maxIdLength: number;
  /**
   * Deepest nesting of arrays and objects in one client message: 100,000 levels of `[` parse
   * fine but overflow the stack of every later JSON.stringify (relay, size check, storage).
   */
  maxJsonDepth: number;
}

export const defaultBoardLimits: BoardLimits = {
  maxElementBytes: 256 * 1024,
  maxMutationsPerBatch: 1000,
  maxParticipants: 200,
  maxBatchesPerSecond: 50,
  maxPresencePerSecond: 20,
  maxPresenceBytes: 8 * 1024,
  maxIdLength: 256,
  maxJsonDepth: 128,
};
