import type { ElementMutation, Tombstone } from '../storage/index.js';
import type { BoardState } from './boardState.js';

/** Why a mutation was refused against the board: the client repairs one element from it. */
export type MutationRejection =
  /** The element was deleted: its tombstone (deletedSequence 0: by an earlier mutation of the same batch). */
  | { code: 'ELEMENT_DELETED'; tombstone: Tombstone }
  | { code: 'ELEMENT_NOT_FOUND'; pageId: string; elementId: string };

export interface RejectedMutation {
  /** Position in the batch. */
  index: number;
  mutation: ElementMutation;
  rejection: MutationRejection;
}

type Known = 'element' | 'tombstone' | 'none';

/**
 * Splits a batch into what may be logged now and what the board refuses, in batch order: server
 * order decides, so each mutation is checked against the board as the ones before it in the batch
 * leave it. An upsert of a deleted element needs `recreate`; a delete needs a live element.
 */
export function checkBatch(state: BoardState, mutations: readonly ElementMutation[]): { accepted: ElementMutation[]; rejected: RejectedMutation[] } {
  const withinBatch = new Map<string, Known>();
  const accepted: ElementMutation[] = [];
  const rejected: RejectedMutation[] = [];
  mutations.forEach((mutation, index) => {
    const elementId = mutation.op === 'upsert' ? mutation.element.id : mutation.elementId;
    const key = `${mutation.pageId}\u0000${elementId}`;
    const rejection = rejectionOf(mutation, elementId, withinBatch.get(key), state);
    if (rejection) {
      rejected.push({ index, mutation, rejection });
      return;
    }
    accepted.push(mutation);
    withinBatch.set(key, mutation.op === 'upsert' ? 'element' : 'tombstone');
  });
  return { accepted, rejected };
}

function rejectionOf(mutation: ElementMutation, elementId: string, inBatch: Known | undefined, state: BoardState): MutationRejection | null {
  const stored = inBatch === undefined ? state.lookup(mutation.pageId, elementId) : null;
  const tombstone: Tombstone | null =
    inBatch === 'tombstone' ? { pageId: mutation.pageId, elementId, deletedSequence: 0 } : stored && 'deletedSequence' in stored ? stored : null;
  const exists = inBatch === 'element' || (inBatch === undefined && stored !== null && !('deletedSequence' in stored));
  if (mutation.op === 'upsert') return tombstone && !mutation.recreate ? { code: 'ELEMENT_DELETED', tombstone } : null;
  if (tombstone) return { code: 'ELEMENT_DELETED', tombstone };
  return exists ? null : { code: 'ELEMENT_NOT_FOUND', pageId: mutation.pageId, elementId };
}
