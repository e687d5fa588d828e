import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBoardLimits } from '../../src/boards/boardLimits.js';
import { BoardState } from '../../src/boards/boardState.js';
import { checkBatch } from '../../src/boards/checkBatch.js';
import { assignColor, participantPalette } from '../../src/boards/participantColors.js';
import { BatchInvalidError, validateMutations } from '../../src/boards/validateMutations.js';
import type { ElementMutation } from '../../src/storage/boardElements.js';

const upsert = (id: string, extra: Record<string, unknown> = {}, pageId = 'p1'): ElementMutation => ({ op: 'upsert', pageId, element: { id, type: 'rect', ...extra } });
const remove = (elementId: string, pageId = 'p1'): ElementMutation => ({ op: 'delete', pageId, elementId });

function stateAfter(...mutations: ElementMutation[]): BoardState {
  const state = new BoardState();
  mutations.forEach((mutation, index) => state.apply({ sequence: index + 1, mutation }));
  return state;
}

describe('boards: participant colors', () => {
  it('BOARD-8: index = number of present participants modulo 8, from the spec palette', () => {
    assert.deepEqual([...participantPalette], ['#FF6B6B', '#4ECDC4', '#45B7D1', '#96CEB4', '#FFEAA7', '#DDA0DD', '#98D8C8', '#F7DC6F']);
    const colors: string[] = [];
    for (let joined = 0; joined < 8; joined++) colors.push(assignColor(colors));
    assert.deepEqual(colors, [...participantPalette]);
    assert.equal(assignColor(colors), participantPalette[0], 'a ninth wraps around');
  });

  it('BOARD-8: a color held by a present participant is skipped for the first free one; a rejoin keeps its color', () => {
    // Two present (index 2): its color is free, so it is used even though index 1 is free too.
    assert.equal(assignColor([participantPalette[0], participantPalette[3]]), participantPalette[2]);
    // Index 2 is held by one of the two present: the first free color instead.
    assert.equal(assignColor([participantPalette[2], participantPalette[0]]), participantPalette[1]);
    assert.equal(assignColor([participantPalette[0], participantPalette[2]], participantPalette[5]), participantPalette[5], 'back in the session: its old color');
    assert.equal(assignColor([participantPalette[5]], participantPalette[5]), participantPalette[1], 'unless someone present holds it now');
  });
});

describe('boards: conflicts in server order', () => {
  it('BOARD-13: each element carries the sequence of its last change; a delete leaves a tombstone', () => {
    const state = stateAfter(upsert('a'), upsert('a', { x: 1 }), upsert('b'), remove('b'));
    assert.deepEqual(state.lookup('p1', 'a'), { pageId: 'p1', element: { id: 'a', type: 'rect', x: 1 }, updatedSequence: 2 });
    assert.deepEqual(state.lookup('p1', 'b'), { pageId: 'p1', elementId: 'b', deletedSequence: 4 });
    assert.deepEqual(state.pagesView(), { p1: [{ id: 'a', type: 'rect', x: 1 }] });
  });

  it('BOARD-13: an upsert of a deleted element is refused with its tombstone unless it re-creates it; a delete needs a live element', () => {
    const state = stateAfter(upsert('gone'), remove('gone'), upsert('live'));
    const { accepted, rejected } = checkBatch(state, [
      upsert('gone'),
      { op: 'upsert', pageId: 'p1', element: { id: 'gone', type: 'rect' }, recreate: true },
      remove('never'),
      remove('live'),
      remove('live'),
      upsert('new'),
      remove('new'),
    ]);
    assert.deepEqual(accepted.map((mutation) => (mutation.op === 'upsert' ? `upsert ${mutation.element.id}` : `delete ${mutation.elementId}`)), ['upsert gone', 'delete live', 'upsert new', 'delete new']);
    assert.deepEqual(
      rejected.map(({ index, rejection }) => [index, rejection]),
      [
        [0, { code: 'ELEMENT_DELETED', tombstone: { pageId: 'p1', elementId: 'gone', deletedSequence: 2 } }],
        [2, { code: 'ELEMENT_NOT_FOUND', pageId: 'p1', elementId: 'never' }],
        [4, { code: 'ELEMENT_DELETED', tombstone: { pageId: 'p1', elementId: 'live', deletedSequence: 0 } }],
      ],
    );
  });

  it('BOARD-13: elements are per page: the same id on another page is another element', () => {
    const state = stateAfter(upsert('a', {}, 'p1'), remove('a', 'p1'));
    assert.deepEqual(checkBatch(state, [upsert('a', {}, 'p2')]).rejected, []);
  });

  it('BOARD-11: replaying an event older than what an element reflects changes nothing (idempotent load)', () => {
    const state = stateAfter(upsert('a', { v: 1 }), upsert('a', { v: 2 }));
    state.apply({ sequence: 1, mutation: upsert('a', { v: 1 }) });
    state.apply({ sequence: 2, mutation: remove('a') });
    assert.deepEqual(state.lookup('p1', 'a'), { pageId: 'p1', element: { id: 'a', type: 'rect', v: 2 }, updatedSequence: 2 });
  });

  it('BOARD-5: changes are taken grouped by page, latest per element, once', () => {
    const state = stateAfter(upsert('a'), upsert('a', { v: 2 }), upsert('b', {}, 'p2'), remove('a'));
    const changes = state.takeChanges();
    assert.deepEqual([...changes.keys()].sort(), ['p1', 'p2']);
    assert.deepEqual(changes.get('p1'), { upserts: [], tombstones: [{ pageId: 'p1', elementId: 'a', deletedSequence: 4 }] });
    assert.equal(changes.get('p2')?.upserts.length, 1);
    assert.equal(state.hasChanges, false);
  });
});

describe('boards: batch validation', () => {
  const limits = defaultBoardLimits;
  const invalid = (raw: unknown, code: string) => assert.throws(() => validateMutations(raw, limits), (error: unknown) => error instanceof BatchInvalidError && error.code === code);

  it('BOARD-16: a mutation that fails the schema refuses the whole batch', () => {
    invalid([], 'MUTATION_INVALID');
    invalid('x', 'MUTATION_INVALID');
    invalid([{ op: 'move', pageId: 'p', elementId: 'a' }], 'MUTATION_INVALID');
    invalid([upsert('ok'), { op: 'upsert', pageId: 'p', element: { id: 'x' } }], 'MUTATION_INVALID');
    invalid([{ op: 'upsert', pageId: '', element: { id: 'x', type: 't' } }], 'MUTATION_INVALID');
    invalid([{ op: 'delete', pageId: 'p\u0000', elementId: 'a' }], 'MUTATION_INVALID');
    invalid([{ op: 'upsert', pageId: 'p', element: [1, 2] }], 'MUTATION_INVALID');
    invalid([{ op: 'upsert', pageId: 'p', element: { id: 'lone \ud800 surrogate', type: 't' } }], 'MUTATION_INVALID');
  });

  it('BOARD-16: an element over 256 KiB or a batch over 1,000 mutations is refused', () => {
    invalid([upsert('big', { blob: 'x'.repeat(256 * 1024) })], 'ELEMENT_TOO_LARGE');
    invalid(Array.from({ length: 1001 }, (_, index) => upsert(`e${index}`)), 'BATCH_TOO_LARGE');
    assert.equal(validateMutations(Array.from({ length: 1000 }, (_, index) => upsert(`e${index}`)), limits).length, 1000);
  });

  it('BOARD-25: keys such as __proto__ in an element are kept as plain data, never as a prototype', () => {
    const raw = JSON.parse('[{"op":"upsert","pageId":"p","element":{"id":"a","type":"t","__proto__":{"polluted":true},"constructor":1},"extra":"dropped"}]') as unknown;
    const [mutation] = validateMutations(raw, limits);
    assert.ok(mutation.op === 'upsert');
    assert.equal(Object.getPrototypeOf(mutation.element), Object.prototype);
    assert.deepEqual(Object.keys(mutation.element), ['id', 'type', '__proto__', 'constructor']);
    assert.equal(JSON.stringify(mutation.element), '{"id":"a","type":"t","__proto__":{"polluted":true},"constructor":1}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(mutation), ['op', 'pageId', 'element']);
  });
});
