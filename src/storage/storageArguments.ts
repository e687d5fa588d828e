import type { NewBatch, NewSnapshot } from './eventLogStorage.js';

/**
 * Checks of what callers hand the storage. They catch programming errors before anything is
 * written (a batch of nothing, a negative head, a fractional limit); client input was validated
 * by the boards part long before it gets here.
 */

/** A sequence, count or limit: an integer the database stores exactly. */
function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

export function checkBatch(batch: NewBatch): void {
  if (batch.mutations.length === 0) throw new RangeError('a batch needs at least one mutation');
  checkCount('expectedSequence', batch.expectedSequence);
  checkCount('expectedSequence + mutations', batch.expectedSequence + batch.mutations.length);
  checkCount('createdAt', batch.createdAt);
}

export function checkLimit(afterSequence: number, limit: number): void {
  checkCount('afterSequence', afterSequence);
  checkCount('limit', limit);
}

export function checkRetain(retain: number): void {
  checkCount('retain', retain);
}

export function checkFlushedThrough(flushedThrough: number | undefined): void {
  if (flushedThrough !== undefined) checkCount('flushedThrough', flushedThrough);
}

export function checkSnapshot(snapshot: NewSnapshot): void {
  checkCount('snapshot sequence', snapshot.sequence);
  checkCount('snapshot createdAt', snapshot.createdAt);
}

/** The error both adapters throw for a snapshot of events the board does not have yet. */
export function snapshotAheadError(boardKey: string, sequence: number): RangeError {
  return new RangeError(`a snapshot at sequence ${sequence} is ahead of the head of board ${JSON.stringify(boardKey)}`);
}
