import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ElementMutation } from '../../src/storage/boardElements.js';
import { BoardSync } from '../../src/client/boardSync.js';
import { closeReaction, reconnectDelay } from '../../src/client/reconnectPolicy.js';
import { CloseCode } from '../../src/closeCodes.js';

const upsert = (id: string, extra: Record<string, unknown> = {}): ElementMutation => ({ op: 'upsert', pageId: 'p1', element: { id, type: 'rect', ...extra } });
const ids = (sync: BoardSync): string[] => (sync.visible().pages.p1 ?? []).map((element) => element.id).sort();

function syncedAt(sequence: number): BoardSync {
  const sync = new BoardSync({ changed: () => undefined, refused: () => undefined });
  sync.replace({}, sequence);
  return sync;
}

describe('board client: the two layers of state', () => {
  it("BOARD-30: others' mutations that arrive ahead of this client's ack wait for it instead of forcing a rejoin", () => {
    const sync = syncedAt(0);
    sync.addBatch('mine', [upsert('a'), upsert('b')]);
    sync.pending.get('mine')!.sentOn = 1;
    assert.equal(sync.receiveMutations({ type: 'mutations', userId: 'bob', sequence: 3, mutations: [upsert('c')] }, 1), 'ok', 'held: the ack may fill 1-2');
    assert.equal(sync.confirmed.sequence, 0);
    assert.deepEqual(ids(sync), ['a', 'b']);
    assert.equal(sync.receiveAck({ type: 'ack', clientBatchId: 'mine', sequence: 2, applied: 2 }, 1), 'ok');
    assert.equal(sync.confirmed.sequence, 3, 'the held run followed the ack');
    assert.deepEqual(ids(sync), ['a', 'b', 'c']);
  });

  it('BOARD-30: a gap no ack can fill asks for a resync; a duplicate ack past the sequence too', () => {
    const sync = syncedAt(5);
    assert.equal(sync.receiveMutations({ type: 'mutations', userId: 'bob', sequence: 7, mutations: [upsert('x')] }, 1), 'resync');
    assert.equal(sync.receiveMutations({ type: 'mutations', userId: 'bob', sequence: 5, mutations: [upsert('old')] }, 1), 'ok', 'already had it');
    assert.deepEqual(ids(sync), []);
    sync.addBatch('resent', [upsert('r')]);
    assert.equal(sync.receiveAck({ type: 'ack', clientBatchId: 'resent', sequence: 9, applied: 0, duplicate: true }, 1), 'resync');
    assert.equal(sync.pending.size, 0, 'the server has the batch: it is not kept');
    assert.equal(sync.catchUp(8, [upsert('y')], 1), 'refetch', 'a catch-up that does not fit the sequence needs the full state');
  });

  it('BOARD-30: a refused mutation is left out in server order and its element is gone; the rest take the sequences', () => {
    const refused: string[] = [];
    const withEvents = new BoardSync({ changed: () => undefined, refused: (error) => refused.push(error.code) });
    withEvents.replace({ p1: [{ id: 'x', type: 'rect' }] }, 4);
    withEvents.addBatch('b', [upsert('x', { v: 2 }), upsert('y')]);
    withEvents.receiveRefusal({ type: 'error', code: 'MUTATION_CONFLICT', message: 'refused', clientBatchId: 'b', index: 0, reason: 'ELEMENT_DELETED', tombstone: { pageId: 'p1', elementId: 'x', deletedSequence: 3 } });
    assert.deepEqual(ids(withEvents), ['x', 'y'], 'the confirmed x still shows, the refused upsert is not replayed');
    assert.equal(withEvents.receiveAck({ type: 'ack', clientBatchId: 'b', sequence: 5, applied: 1 }, 1), 'ok');
    assert.deepEqual(ids(withEvents), ['y'], 'repaired: x is gone');
    assert.equal(withEvents.confirmed.sequence, 5);
    assert.deepEqual(refused, ['MUTATION_CONFLICT']);
  });

  it('BOARD-30: close codes map to retry, re-authenticate or stop; reconnect delays stay within bounds', () => {
    for (const code of [1006, 1011, 1012, 1013, 4503, 1000, 1008, 1009, 3000]) assert.equal(closeReaction(code), 'retry', `${code}`);
    assert.equal(closeReaction(CloseCode.unauthorized), 'reauthenticate');
    for (const code of [4400, 4403, 4429, 4404]) assert.equal(closeReaction(code), 'stop', `${code}`);
    const delays = { minDelayMs: 100, maxDelayMs: 1_000 };
    for (let attempt = 0; attempt < 10; attempt++) {
      for (const random of [0, 0.5, 0.999]) {
        const delay = reconnectDelay(attempt, delays, () => random);
        assert.ok(delay >= 100 && delay <= 1_000, `${attempt}: ${delay}`);
      }
    }
    assert.ok(reconnectDelay(0, delays, () => 0.999) < reconnectDelay(5, delays, () => 0.999), 'grows with the attempts');
  });
});
