import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BoardElement, ElementMutation, StoredElement, Tombstone } from '../../src/storage/index.js';
import type { AppendOutcome, BatchReceipt, NewBatch, StoredBoard } from '../../src/storage/index.js';

/** Builders and checks shared by the EventLogStorage contract tests. */

/** The time every fixture batch carries. */
export const createdAt = 1_700_000_000_000;

/** A key no other test uses, so tests share one database and still start from empty boards. */
export function freshBoardKey(label = 'board'): string {
  return `tenant::app::${label}-${randomUUID()}`;
}

export function upsert(elementId: string, pageId = 'page-1', extra: Record<string, unknown> = {}): ElementMutation {
  return { op: 'upsert', pageId, element: { id: elementId, type: 'rect', ...extra } };
}

export function remove(elementId: string, pageId = 'page-1'): ElementMutation {
  return { op: 'delete', pageId, elementId };
}

export function batchOf(clientBatchId: string, expectedSequence: number, mutations: ElementMutation[], userId = 'alice'): NewBatch {
  return { userId, clientBatchId, expectedSequence, mutations, createdAt };
}

/** `count` upserts of distinct elements, labelled so their events can be told apart. */
export function upserts(label: string, count: number): ElementMutation[] {
  return Array.from({ length: count }, (_, index) => upsert(`${label}-${index}`));
}

export function element(elementId: string, updatedSequence: number, pageId = 'page-1', extra: Record<string, unknown> = {}): StoredElement {
  return { pageId, element: { id: elementId, type: 'rect', ...extra }, updatedSequence };
}

export function tombstone(elementId: string, deletedSequence: number, pageId = 'page-1'): Tombstone {
  return { pageId, elementId, deletedSequence };
}

export function appendedReceipt(outcome: AppendOutcome): BatchReceipt {
  assert.equal(outcome.kind, 'appended', `expected appended, got ${JSON.stringify(outcome)}`);
  assert.ok(outcome.kind === 'appended');
  return outcome.receipt;
}

export function countKinds(outcomes: readonly AppendOutcome[]): Record<AppendOutcome['kind'], number> {
  const counts = { appended: 0, duplicate: 0, conflict: 0 };
  for (const outcome of outcomes) counts[outcome.kind] += 1;
  return counts;
}

/** The board as a comparable value: elements and tombstones in a fixed order. */
export function sortedBoard(board: StoredBoard): StoredBoard {
  const byKey = (a: { pageId: string; id: string }, b: { pageId: string; id: string }) =>
    a.pageId === b.pageId ? (a.id < b.id ? -1 : 1) : a.pageId < b.pageId ? -1 : 1;
  return {
    ...board,
    elements: [...board.elements].sort((a, b) => byKey({ pageId: a.pageId, id: a.element.id }, { pageId: b.pageId, id: b.element.id })),
    tombstones: [...board.tombstones].sort((a, b) => byKey({ pageId: a.pageId, id: a.elementId }, { pageId: b.pageId, id: b.elementId })),
  };
}

/**
 * Element JSON that a careless store would change: key order, prototype keys, unicode beyond the
 * BMP, escapes, and numbers at the edges of what a double holds. Built with JSON.parse so that
 * `__proto__` is an own data key, as it is when it arrives in a client's frame.
 */
export function trickyElement(id: string): BoardElement {
  return JSON.parse(`{
    "type": "shape", "id": ${JSON.stringify(id)},
    "__proto__": { "polluted": true },
    "constructor": { "prototype": { "polluted": true } },
    "prototype": "plain",
    "nested": { "a": [1, 2, { "b": null, "c": [[], {}] }], "empty": {}, "list": [] },
    "text": "héllo 世界 😀 e\\u0301 \\u0000 \\u2028 \\"quoted\\" \\\\ back / tab\\t",
    "numbers": [0, -1, 1.5, 0.1, 1e-7, 1.7976931348623157e308, 9007199254740991, -9007199254740991, 5e-324, 1e21],
    "flags": [true, false, null],
    "": "empty key",
    "z": 1, "a": 2
  }`) as BoardElement;
}

export function assertPlainWithOwnProto(value: BoardElement): void {
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.hasOwn(value, '__proto__'), '__proto__ is an own data key');
  assert.deepEqual(Object.keys(value), Object.keys(trickyElement(value.id)), 'key order kept');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
}
