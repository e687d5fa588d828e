import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BoardElement, ElementMutation, StoredElement, Tombstone } from '../../src/storage/index.js';
import type { EventLogStorage } from '../../src/storage/index.js';
import {
  appendedReceipt,
  assertPlainWithOwnProto,
  batchOf,
  countKinds,
  createdAt,
  element,
  freshBoardKey,
  remove,
  sortedBoard,
  tombstone,
  trickyElement,
  upsert,
  upserts,
} from './boardFixtures.js';

/**
 * Opens a storage on the suite's database. Every call opens another storage on the same data:
 * a second node, or the same node after a restart.
 */
export type EventLogStorageFactory = () => Promise<EventLogStorage>;

/**
 * The behaviour every EventLogStorage adapter shares (the contract in src/storage/eventLogStorage.ts).
 * Each test opens what it needs through `factory`; everything it opened is closed afterwards.
 */
export function eventLogStorageContract(name: string, factory: EventLogStorageFactory): void {
  describe(`EventLogStorage contract: ${name}`, () => {
    const opened: EventLogStorage[] = [];
    const open = async (): Promise<EventLogStorage> => {
      const storage = await factory();
      opened.push(storage);
      return storage;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
    });
    /**
     * Storages whose connections are open and whose statements are prepared, so that the calls of
     * a race reach the database together instead of one per connection set-up.
     */
    const warmStorages = async (count: number, callsEach: number): Promise<EventLogStorage[]> => {
      const storages = await Promise.all(Array.from({ length: count }, () => open()));
      const warmKey = freshBoardKey('warm');
      await Promise.all(
        storages.flatMap((storage, node) =>
          Array.from({ length: callsEach }, (_, call) => storage.appendBatch(warmKey, batchOf(`warm-${node}-${call}`, 0, upserts('w', 1)))),
        ),
      );
      return storages;
    };

    describe('appending', () => {
      it('BOARD-20: sequences are gap-free per board over many batches of different sizes', async () => {
        const storage = await open();
        const key = freshBoardKey();
        const sent: ElementMutation[] = [];
        let head = 0;
        for (let index = 0; index < 40; index += 1) {
          const mutations = upserts(`b${index}`, (index % 5) + 1);
          const receipt = appendedReceipt(await storage.appendBatch(key, batchOf(`batch-${index}`, head, mutations)));
          assert.deepEqual(receipt, { lastSequence: head + mutations.length, events: mutations.length });
          head = receipt.lastSequence;
          sent.push(...mutations);
        }
        const big = upserts('big', 500);
        assert.deepEqual(appendedReceipt(await storage.appendBatch(key, batchOf('big', head, big))), { lastSequence: head + 500, events: 500 });
        sent.push(...big);
        const events = await storage.getEventsSince(key, 0, 10_000);
        assert.deepEqual(events.map((event) => event.sequence), sent.map((_, index) => index + 1));
        assert.deepEqual(events.map((event) => event.mutation), sent);
        assert.ok(events.every((event) => event.userId === 'alice' && event.createdAt === createdAt));
        assert.equal((await storage.loadBoard(key)).sequence, sent.length);
      });

      it('BOARD-20: a batch whose expected sequence is not the head conflicts, names the head and stores nothing', async () => {
        const storage = await open();
        const key = freshBoardKey();
        appendedReceipt(await storage.appendBatch(key, batchOf('first', 0, upserts('a', 3))));
        assert.deepEqual(await storage.appendBatch(key, batchOf('behind', 1, upserts('b', 2))), { kind: 'conflict', sequence: 3 });
        assert.deepEqual(await storage.appendBatch(key, batchOf('ahead', 7, upserts('c', 2))), { kind: 'conflict', sequence: 3 });
        assert.equal((await storage.getEventsSince(key, 0, 100)).length, 3);
        assert.equal(await storage.findBatch(key, 'alice', 'behind'), null);
        assert.equal(await storage.findBatch(key, 'alice', 'ahead'), null);
        assert.equal((await storage.loadBoard(key)).sequence, 3);
        // The conflicting batch id is still free: the same batch against the right head goes in.
        assert.deepEqual(appendedReceipt(await storage.appendBatch(key, batchOf('behind', 3, upserts('b', 2)))), { lastSequence: 5, events: 2 });
      });

      it('BOARD-20: an unknown board accepts only expected sequence 0', async () => {
        const storage = await open();
        const key = freshBoardKey();
        assert.deepEqual(await storage.appendBatch(key, batchOf('b', 2, upserts('a', 1))), { kind: 'conflict', sequence: 0 });
        const board = await storage.loadBoard(key);
        assert.deepEqual([board.sequence, board.oldestRetainedSequence], [0, 1]);
        assert.deepEqual(appendedReceipt(await storage.appendBatch(key, batchOf('b', 0, upserts('a', 1)))), { lastSequence: 1, events: 1 });
      });

      for (const nodes of [1, 2]) {
        const shape = nodes === 1 ? '1 storage' : `${nodes} storages`;
        it(`BOARD-20: of 20 concurrent appends with the same expected sequence exactly one is appended (${shape})`, async () => {
          const storages = await warmStorages(nodes, 20 / nodes);
          const key = freshBoardKey();
          appendedReceipt(await storages[0].appendBatch(key, batchOf('seed', 0, upserts('seed', 2))));
          const outcomes = await Promise.all(
            Array.from({ length: 20 }, (_, index) =>
              storages[index % nodes].appendBatch(key, batchOf(`racer-${index}`, 2, upserts(`r${index}`, 3), `user-${index}`)),
            ),
          );
          assert.deepEqual(countKinds(outcomes), { appended: 1, duplicate: 0, conflict: 19 });
          const winner = outcomes.findIndex((outcome) => outcome.kind === 'appended');
          for (const outcome of outcomes) if (outcome.kind === 'conflict') assert.equal(outcome.sequence, 5);
          const events = await storages[0].getEventsSince(key, 2, 100);
          assert.deepEqual(events.map((event) => [event.sequence, event.userId]), [3, 4, 5].map((sequence) => [sequence, `user-${winner}`]));
          for (let index = 0; index < 20; index += 1) {
            const found = await storages[0].findBatch(key, `user-${index}`, `racer-${index}`);
            assert.deepEqual(found, index === winner ? { lastSequence: 5, events: 3 } : null);
          }
        });
      }

      it('BOARD-20: writers on two storages that retry on conflict end with one gap-free log, each batch contiguous', async () => {
        const storages = await warmStorages(2, 3);
        const key = freshBoardKey();
        const writer = async (writerIndex: number): Promise<void> => {
          const storage = storages[writerIndex % 2];
          let head = 0;
          for (let batch = 0; batch < 8; ) {
            const id = `w${writerIndex}-${batch}`;
            const outcome = await storage.appendBatch(key, batchOf(id, head, upserts(id, 1 + (batch % 3)), `writer-${writerIndex}`));
            if (outcome.kind === 'conflict') head = outcome.sequence;
            else {
              head = outcome.receipt.lastSequence;
              batch += 1;
            }
          }
        };
        await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
        const events = await storages[1].getEventsSince(key, 0, 1000);
        const total = 6 * (1 + 2 + 3 + 1 + 2 + 3 + 1 + 2);
        assert.deepEqual(events.map((event) => event.sequence), Array.from({ length: total }, (_, index) => index + 1));
        for (let writerIndex = 0; writerIndex < 6; writerIndex += 1) {
          for (let batch = 0; batch < 8; batch += 1) {
            const receipt = await storages[0].findBatch(key, `writer-${writerIndex}`, `w${writerIndex}-${batch}`);
            assert.ok(receipt !== null);
            const own = events.slice(receipt.lastSequence - receipt.events, receipt.lastSequence);
            assert.ok(own.every((event) => event.userId === `writer-${writerIndex}`), 'a batch occupies consecutive sequences');
          }
        }
        assert.equal((await storages[0].loadBoard(key)).sequence, total);
      });

      it('BOARD-20: an empty batch, a negative or fractional expected sequence is refused before anything is stored', async () => {
        const storage = await open();
        const key = freshBoardKey();
        await assert.rejects(storage.appendBatch(key, batchOf('empty', 0, [])), RangeError);
        await assert.rejects(storage.appendBatch(key, batchOf('negative', -1, upserts('a', 1))), RangeError);
        await assert.rejects(storage.appendBatch(key, batchOf('fraction', 0.5, upserts('a', 1))), RangeError);
        assert.equal((await storage.loadBoard(key)).sequence, 0);
        assert.equal(await storage.findBatch(key, 'alice', 'empty'), null);
      });
    });

    describe('dedupe', () => {
      it('BOARD-21: a resent batch is a duplicate with the first receipt, whatever its expected sequence', async () => {
        const storage = await open();
        const key = freshBoardKey();
        const first = appendedReceipt(await storage.appendBatch(key, batchOf('a', 0, upserts('a', 2))));
        appendedReceipt(await storage.appendBatch(key, batchOf('b', 2, upserts('b', 1))));
        assert.deepEqual(await storage.appendBatch(key, batchOf('a', 0, upserts('a', 2))), { kind: 'duplicate', receipt: first });
        // Even when its expected sequence happens to be the head, and with other content.
        assert.deepEqual(await storage.appendBatch(key, batchOf('a', 3, upserts('other', 4))), { kind: 'duplicate', receipt: first });
        assert.deepEqual(await storage.appendBatch(key, batchOf('a', 99, upserts('a', 2))), { kind: 'duplicate', receipt: first });
        assert.equal((await storage.getEventsSince(key, 0, 100)).length, 3);
        assert.equal((await storage.loadBoard(key)).sequence, 3);
        assert.deepEqual(await storage.findBatch(key, 'alice', 'a'), first);
        assert.equal(await storage.findBatch(key, 'alice', 'never-sent'), null);
      });

      it('BOARD-21: a batch stays a duplicate after the storage is closed and reopened (a restart)', async () => {
        const key = freshBoardKey();
        const before = await open();
        const first = appendedReceipt(await before.appendBatch(key, batchOf('a', 0, upserts('a', 3))));
        await before.close();
        const after = await open();
        assert.deepEqual(await after.appendBatch(key, batchOf('a', 3, upserts('a', 3))), { kind: 'duplicate', receipt: first });
        assert.deepEqual(await after.findBatch(key, 'alice', 'a'), first);
        assert.equal((await after.getEventsSince(key, 0, 100)).length, 3);
      });

      it('BOARD-21: another user, or the same user on another board, may use the same clientBatchId', async () => {
        const storage = await open();
        const [key, otherKey] = [freshBoardKey(), freshBoardKey()];
        appendedReceipt(await storage.appendBatch(key, batchOf('same-id', 0, upserts('a', 1), 'alice')));
        const byBob = await storage.appendBatch(key, batchOf('same-id', 1, upserts('b', 2), 'bob'));
        assert.deepEqual(appendedReceipt(byBob), { lastSequence: 3, events: 2 });
        const onOtherBoard = await storage.appendBatch(otherKey, batchOf('same-id', 0, upserts('c', 1), 'alice'));
        assert.deepEqual(appendedReceipt(onOtherBoard), { lastSequence: 1, events: 1 });
        assert.deepEqual(await storage.findBatch(key, 'bob', 'same-id'), { lastSequence: 3, events: 2 });
        assert.deepEqual(await storage.findBatch(otherKey, 'alice', 'same-id'), { lastSequence: 1, events: 1 });
        assert.equal(await storage.findBatch(otherKey, 'bob', 'same-id'), null);
      });

      for (const seeded of [0, 3]) {
        const shape = seeded === 0 ? 'new board' : 'board with events';
        it(`BOARD-21: of 10 concurrent sends of one batch on two storages one is stored, the others are duplicates (${shape})`, async () => {
          const storages = await warmStorages(2, 5);
          const key = freshBoardKey();
          if (seeded > 0) appendedReceipt(await storages[0].appendBatch(key, batchOf('seed', 0, upserts('seed', seeded))));
          const outcomes = await Promise.all(
            Array.from({ length: 10 }, (_, index) => storages[index % 2].appendBatch(key, batchOf('resent', seeded, upserts('a', 2)))),
          );
          assert.deepEqual(countKinds(outcomes), { appended: 1, duplicate: 9, conflict: 0 });
          for (const outcome of outcomes) {
            assert.deepEqual(outcome.kind === 'conflict' ? null : outcome.receipt, { lastSequence: seeded + 2, events: 2 });
          }
          assert.equal((await storages[0].getEventsSince(key, 0, 100)).length, seeded + 2);
        });
      }
    });

    describe('reading', () => {
      it('getEventsSince returns the events above afterSequence, ascending, at most limit', async () => {
        const storage = await open();
        const key = freshBoardKey();
        appendedReceipt(await storage.appendBatch(key, batchOf('a', 0, upserts('a', 4))));
        appendedReceipt(await storage.appendBatch(key, batchOf('b', 4, upserts('b', 6), 'bob')));
        const sequences = async (after: number, limit: number) => (await storage.getEventsSince(key, after, limit)).map((event) => event.sequence);
        assert.deepEqual(await sequences(0, 3), [1, 2, 3]);
        assert.deepEqual(await sequences(3, 3), [4, 5, 6]);
        assert.deepEqual(await sequences(9, 5), [10]);
        assert.deepEqual(await sequences(10, 5), []);
        assert.deepEqual(await sequences(50, 5), []);
        assert.deepEqual(await sequences(2, 0), []);
        const [fifth] = await storage.getEventsSince(key, 4, 1);
        assert.deepEqual(fifth, { sequence: 5, userId: 'bob', mutation: upsert('b-0'), createdAt });
        await assert.rejects(storage.getEventsSince(key, 0, -1), RangeError);
      });

      it('loadBoard of a board never written is sequence 0, nothing flushed, nothing stored', async () => {
        const storage = await open();
        assert.deepEqual(await storage.loadBoard(freshBoardKey()), {
          sequence: 0,
          flushedSequence: 0,
          oldestRetainedSequence: 1,
          elements: [],
          tombstones: [],
        });
      });

      it('loadBoard returns the head, the flushed sequence, the oldest event and the written elements and tombstones', async () => {
        const storage = await open();
        const key = freshBoardKey();
        appendedReceipt(await storage.appendBatch(key, batchOf('a', 0, [upsert('e1'), upsert('e2'), remove('e2'), upsert('e3', 'page-2')])));
        await storage.writePage(key, 'page-1', { upserts: [element('e1', 1)], tombstones: [tombstone('e2', 3)] });
        await storage.writePage(key, 'page-2', { upserts: [element('e3', 4, 'page-2')], tombstones: [] }, 4);
        assert.deepEqual(sortedBoard(await storage.loadBoard(key)), {
          sequence: 4,
          flushedSequence: 4,
          oldestRetainedSequence: 1,
          elements: [element('e1', 1), element('e3', 4, 'page-2')],
          tombstones: [tombstone('e2', 3)],
        });
      });
    });

    describe('writing pages', () => {
      /** A board with `events` events, so flushes have a head to stay below. */
      const boardWithEvents = async (storage: EventLogStorage, events: number): Promise<string> => {
        const key = freshBoardKey();
        appendedReceipt(await storage.appendBatch(key, batchOf('seed', 0, upserts('seed', events))));
        return key;
      };

      it('BOARD-22: writePage writes an element only where its sequence is above the stored one', async () => {
        const storage = await open();
        const key = await boardWithEvents(storage, 10);
        await storage.writePage(key, 'page-1', { upserts: [element('e1', 5, 'page-1', { v: 'five' })], tombstones: [] });
        await storage.writePage(key, 'page-1', { upserts: [element('e1', 3, 'page-1', { v: 'three' })], tombstones: [] });
        await storage.writePage(key, 'page-1', { upserts: [element('e1', 5, 'page-1', { v: 'five again' })], tombstones: [] });
        assert.deepEqual((await storage.loadBoard(key)).elements, [element('e1', 5, 'page-1', { v: 'five' })]);
        await storage.writePage(key, 'page-1', { upserts: [element('e1', 7, 'page-1', { v: 'seven' })], tombstones: [] });
        assert.deepEqual((await storage.loadBoard(key)).elements, [element('e1', 7, 'page-1', { v: 'seven' })]);
      });

      it('BOARD-22: a newer tombstone replaces an element and a newer element replaces a tombstone, never older over newer', async () => {
        const storage = await open();
        const key = await boardWithEvents(storage, 10);
        const write = (upserted: StoredElement[], deleted: Tombstone[]) =>
          storage.writePage(key, 'page-1', { upserts: upserted, tombstones: deleted });
        const state = async () => {
          const board = await storage.loadBoard(key);
          return { elements: board.elements, tombstones: board.tombstones };
        };
        await write([element('e1', 2)], []);
        await write([], [tombstone('e1', 4)]);
        assert.deepEqual(await state(), { elements: [], tombstones: [tombstone('e1', 4)] });
        await write([element('e1', 3)], []);
        assert.deepEqual(await state(), { elements: [], tombstones: [tombstone('e1', 4)] }, 'an older element does not resurrect');
        await write([element('e1', 6, 'page-1', { recreated: true })], []);
        assert.deepEqual(await state(), { elements: [element('e1', 6, 'page-1', { recreated: true })], tombstones: [] });
        await write([], [tombstone('e1', 5)]);
        const recreated = { elements: [element('e1', 6, 'page-1', { recreated: true })], tombstones: [] };
        assert.deepEqual(await state(), recreated, 'an older tombstone deletes nothing');
      });

      it('BOARD-22: within one write the newest change of each element wins', async () => {
        const storage = await open();
        const key = await boardWithEvents(storage, 10);
        await storage.writePage(key, 'page-1', {
          upserts: [3, 5, 4].map((sequence) => element('e1', sequence, 'page-1', { v: sequence })).concat(element('e2', 1)),
          tombstones: [tombstone('e2', 2), tombstone('e1', 1)],
        });
        const board = await storage.loadBoard(key);
        assert.deepEqual(board.elements, [element('e1', 5, 'page-1', { v: 5 })]);
        assert.deepEqual(board.tombstones, [tombstone('e2', 2)]);
      });

      it('BOARD-22: flushedThrough raises the flushed sequence, never lowers it and never above the head', async () => {
        const storage = await open();
        const key = await boardWithEvents(storage, 10);
        const flushed = async () => (await storage.loadBoard(key)).flushedSequence;
        await storage.writePage(key, 'page-1', { upserts: [element('seed-0', 1)], tombstones: [] });
        assert.equal(await flushed(), 0, 'no flushedThrough: unchanged');
        await storage.writePage(key, 'page-1', { upserts: [], tombstones: [] }, 6);
        assert.equal(await flushed(), 6);
        await storage.writePage(key, 'page-2', { upserts: [element('x', 3, 'page-2')], tombstones: [] }, 4);
        assert.equal(await flushed(), 6, 'not lowered');
        assert.equal((await storage.loadBoard(key)).elements.length, 2, 'the elements of a lower flush are still written');
        await storage.writePage(key, 'page-1', { upserts: [], tombstones: [] }, 25);
        assert.equal(await flushed(), 10, 'capped at the head: events that do not exist are not flushed');
      });

      it('BOARD-22: pages are separate, and a change for another page is refused', async () => {
        const storage = await open();
        const key = await boardWithEvents(storage, 10);
        await storage.writePage(key, 'page-1', { upserts: [element('e1', 2, 'page-1', { on: 1 })], tombstones: [] });
        await storage.writePage(key, 'page-2', { upserts: [element('e1', 1, 'page-2', { on: 2 })], tombstones: [] });
        await storage.writePage(key, 'page-3', { upserts: [], tombstones: [tombstone('e1', 3, 'page-3')] });
        const board = sortedBoard(await storage.loadBoard(key));
        assert.deepEqual(board.elements, [element('e1', 2, 'page-1', { on: 1 }), element('e1', 1, 'page-2', { on: 2 })]);
        assert.deepEqual(board.tombstones, [tombstone('e1', 3, 'page-3')]);
        await assert.rejects(storage.writePage(key, 'page-1', { upserts: [element('e9', 4, 'page-2')], tombstones: [] }, 4), RangeError);
        assert.equal((await storage.loadBoard(key)).flushedSequence, 0, 'a refused write writes nothing');
      });
    });

    describe('snapshots and pruning', () => {
      it('BOARD-23: the latest snapshot is the one with the highest sequence; none before the first', async () => {
        const storage = await open();
        const key = freshBoardKey();
        assert.equal(await storage.getLatestSnapshot(key), null);
        appendedReceipt(await storage.appendBatch(key, batchOf('a', 0, upserts('a', 9))));
        const at = (sequence: number, label: string) => ({
          sequence,
          pages: { 'page-1': [{ id: label, type: 'note' }] },
          createdAt: createdAt + sequence,
        });
        await storage.createSnapshot(key, at(5, 'five'));
        await storage.createSnapshot(key, at(8, 'eight'));
        await storage.createSnapshot(key, at(6, 'six, made late'));
        assert.deepEqual(await storage.getLatestSnapshot(key), at(8, 'eight'));
        await storage.createSnapshot(key, at(8, 'eight again'));
        assert.deepEqual(await storage.getLatestSnapshot(key), at(8, 'eight again'), 'the same sequence again replaces it');
        await storage.createSnapshot(key, { sequence: 9, pages: {}, createdAt });
        assert.deepEqual(await storage.getLatestSnapshot(key), { sequence: 9, pages: {}, createdAt });
      });

      it('BOARD-23: a snapshot ahead of the head is refused', async () => {
        const storage = await open();
        const key = freshBoardKey();
        await storage.createSnapshot(key, { sequence: 0, pages: {}, createdAt });
        await assert.rejects(storage.createSnapshot(key, { sequence: 1, pages: {}, createdAt }), RangeError);
        appendedReceipt(await storage.appendBatch(key, batchOf('a', 0, upserts('a', 2))));
        await assert.rejects(storage.createSnapshot(key, { sequence: 3, pages: {}, createdAt }), RangeError);
        assert.deepEqual(await storage.getLatestSnapshot(key), { sequence: 0, pages: {}, createdAt });
      });

      it('BOARD-23: pruneEvents deletes only events the latest snapshot covers, that are flushed, older than the newest retain', async () => {
        const storage = await open();
        const key = freshBoardKey();
        for (let batch = 0; batch < 10; batch += 1) {
          appendedReceipt(await storage.appendBatch(key, batchOf(`batch-${batch}`, batch * 2, upserts(`b${batch}`, 2))));
        }
        const state = async () => {
          const board = await storage.loadBoard(key);
          const events = await storage.getEventsSince(key, 0, 100);
          return { oldest: board.oldestRetainedSequence, first: events[0]?.sequence ?? null, count: events.length, head: board.sequence };
        };
        assert.equal(await storage.pruneEvents(key, 0), 0, 'no snapshot: nothing goes');
        await storage.writePage(key, 'page-1', { upserts: [], tombstones: [] }, 20);
        assert.equal(await storage.pruneEvents(key, 0), 0, 'flushed but no snapshot: nothing goes');
        await storage.createSnapshot(key, { sequence: 12, pages: {}, createdAt });
        await storage.writePage(key, 'page-1', { upserts: [], tombstones: [] }, 20);
        assert.equal(await storage.pruneEvents(key, 15), 5, 'the newest 15 stay (1..5 go)');
        assert.deepEqual(await state(), { oldest: 6, first: 6, count: 15, head: 20 });
        assert.equal(await storage.pruneEvents(key, 5), 7, 'the snapshot covers up to 12');
        assert.deepEqual(await state(), { oldest: 13, first: 13, count: 8, head: 20 });
        await storage.createSnapshot(key, { sequence: 19, pages: {}, createdAt });
        assert.equal(await storage.pruneEvents(key, 0), 7, 'covered and flushed up to 19');
        assert.deepEqual(await state(), { oldest: 20, first: 20, count: 1, head: 20 });
        assert.equal(await storage.pruneEvents(key, 0), 0, 'pruning again deletes nothing');
      });

      it('BOARD-23: pruning stops at the flushed sequence', async () => {
        const storage = await open();
        const key = freshBoardKey();
        appendedReceipt(await storage.appendBatch(key, batchOf('a', 0, upserts('a', 10))));
        await storage.createSnapshot(key, { sequence: 10, pages: {}, createdAt });
        await storage.writePage(key, 'page-1', { upserts: [], tombstones: [] }, 4);
        assert.equal(await storage.pruneEvents(key, 0), 4);
        assert.equal((await storage.loadBoard(key)).oldestRetainedSequence, 5);
      });

      it("BOARD-23: pruned batches' dedupe keys go with their events; a batch with an event left keeps its key", async () => {
        const storage = await open();
        const key = freshBoardKey();
        for (let batch = 0; batch < 5; batch += 1) {
          appendedReceipt(await storage.appendBatch(key, batchOf(`batch-${batch}`, batch * 2, upserts(`b${batch}`, 2))));
        }
        await storage.createSnapshot(key, { sequence: 5, pages: {}, createdAt });
        await storage.writePage(key, 'page-1', { upserts: [], tombstones: [] }, 10);
        assert.equal(await storage.pruneEvents(key, 0), 5);
        const receipts = await Promise.all([0, 1, 2, 3, 4].map((batch) => storage.findBatch(key, 'alice', `batch-${batch}`)));
        assert.deepEqual(receipts, [null, null, { lastSequence: 6, events: 2 }, { lastSequence: 8, events: 2 }, { lastSequence: 10, events: 2 }]);
        const resent = await storage.appendBatch(key, batchOf('batch-2', 0, upserts('b2', 2)));
        assert.deepEqual(resent, { kind: 'duplicate', receipt: { lastSequence: 6, events: 2 } });
        await assert.rejects(storage.pruneEvents(key, -1), RangeError);
      });
    });

    describe('the head', () => {
      it('BOARD-24: the head survives pruning every event and reopening: the next batch continues the sequence', async () => {
        const key = freshBoardKey();
        const first = await open();
        appendedReceipt(await first.appendBatch(key, batchOf('a', 0, upserts('a', 6))));
        await first.createSnapshot(key, { sequence: 6, pages: {}, createdAt });
        await first.writePage(key, 'page-1', { upserts: [element('a-0', 1)], tombstones: [] }, 6);
        assert.equal(await first.pruneEvents(key, 0), 6);
        const pruned = await first.loadBoard(key);
        assert.deepEqual([pruned.sequence, pruned.flushedSequence, pruned.oldestRetainedSequence], [6, 6, 7]);
        assert.deepEqual(await first.appendBatch(key, batchOf('restart', 0, upserts('r', 1))), { kind: 'conflict', sequence: 6 });
        await first.close();

        const second = await open();
        assert.deepEqual(await second.loadBoard(key), { ...pruned });
        assert.deepEqual(await second.appendBatch(key, batchOf('restart', 0, upserts('r', 1))), { kind: 'conflict', sequence: 6 });
        assert.deepEqual(appendedReceipt(await second.appendBatch(key, batchOf('restart', 6, upserts('r', 2)))), { lastSequence: 8, events: 2 });
        assert.deepEqual((await second.getEventsSince(key, 0, 10)).map((event) => event.sequence), [7, 8]);
        assert.equal((await second.loadBoard(key)).oldestRetainedSequence, 7);
      });

      it('BOARD-24: head, flushed sequence, elements, tombstones and snapshots survive reopening', async () => {
        const key = freshBoardKey();
        const first = await open();
        appendedReceipt(await first.appendBatch(key, batchOf('a', 0, [upsert('e1'), upsert('e2'), remove('e2')])));
        await first.writePage(key, 'page-1', { upserts: [element('e1', 1)], tombstones: [tombstone('e2', 3)] }, 3);
        await first.createSnapshot(key, { sequence: 3, pages: { 'page-1': [{ id: 'e1', type: 'rect' }] }, createdAt });
        const board = await first.loadBoard(key);
        await first.close();
        const second = await open();
        assert.deepEqual(await second.loadBoard(key), board);
        assert.deepEqual(await second.getLatestSnapshot(key), { sequence: 3, pages: { 'page-1': [{ id: 'e1', type: 'rect' }] }, createdAt });
      });
    });

    describe('fidelity and isolation', () => {
      it('BOARD-25: JSON comes back exactly from events, elements and snapshots, __proto__ and constructor keys included', async () => {
        const storage = await open();
        const key = freshBoardKey();
        const tricky = trickyElement('e-😀');
        const mutation: ElementMutation = { op: 'upsert', pageId: '__proto__', element: tricky, recreate: true };
        appendedReceipt(await storage.appendBatch(key, batchOf('json', 0, [mutation, remove('constructor', 'page "1"')], 'user ☃')));
        const [upserted, removed] = await storage.getEventsSince(key, 0, 10);
        assert.deepEqual(upserted, { sequence: 1, userId: 'user ☃', mutation, createdAt });
        assert.deepEqual(removed.mutation, remove('constructor', 'page "1"'));
        assert.ok(upserted.mutation.op === 'upsert');
        assertPlainWithOwnProto(upserted.mutation.element);

        await storage.writePage(key, '__proto__', { upserts: [{ pageId: '__proto__', element: tricky, updatedSequence: 1 }], tombstones: [] });
        await storage.writePage(key, 'page "1"', { upserts: [], tombstones: [tombstone('constructor', 2, 'page "1"')] }, 2);
        const board = await storage.loadBoard(key);
        assert.deepEqual(board.elements, [{ pageId: '__proto__', element: tricky, updatedSequence: 1 }]);
        assert.deepEqual(board.tombstones, [tombstone('constructor', 2, 'page "1"')]);
        assertPlainWithOwnProto(board.elements[0].element);

        const pages = JSON.parse(`{"__proto__": ${JSON.stringify([tricky])}, "constructor": []}`) as Record<string, BoardElement[]>;
        await storage.createSnapshot(key, { sequence: 2, pages, createdAt });
        const snapshot = await storage.getLatestSnapshot(key);
        assert.ok(snapshot !== null);
        assert.deepEqual(snapshot.pages, pages);
        assert.equal(Object.getPrototypeOf(snapshot.pages), Object.prototype);
        assertPlainWithOwnProto(snapshot.pages.__proto__[0]);
      });

      it('BOARD-25: boards are isolated, also boards whose keys differ only in case, a suffix or LIKE wildcards', async () => {
        const storage = await open();
        const base = freshBoardKey('iso');
        const keys = [base, `${base}%`, `${base}_`, base.toUpperCase(), `${base} `, `${base}::x`];
        for (const [index, key] of keys.entries()) {
          appendedReceipt(await storage.appendBatch(key, batchOf('same-batch', 0, upserts(`k${index}`, index + 1))));
          await storage.writePage(key, 'page-1', { upserts: [element('shared-id', 1, 'page-1', { board: index })], tombstones: [] }, 1);
        }
        await storage.createSnapshot(keys[0], { sequence: 1, pages: {}, createdAt });
        assert.equal(await storage.pruneEvents(keys[0], 0), 1);
        for (const [index, key] of keys.entries()) {
          const board = await storage.loadBoard(key);
          assert.equal(board.sequence, index + 1);
          assert.deepEqual(board.elements, [element('shared-id', 1, 'page-1', { board: index })]);
          assert.equal((await storage.getEventsSince(key, 0, 100)).length, index === 0 ? 0 : index + 1);
          assert.deepEqual(await storage.findBatch(key, 'alice', 'same-batch'), index === 0 ? null : { lastSequence: index + 1, events: index + 1 });
          if (index > 0) assert.equal(await storage.getLatestSnapshot(key), null);
        }
      });
    });

    describe('lifecycle', () => {
      it('ping resolves; close is idempotent and later calls reject', async () => {
        const storage = await open();
        await storage.ping();
        await storage.close();
        await storage.close();
        await assert.rejects(storage.ping());
      });
    });
  });
}
