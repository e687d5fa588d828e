import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { BoardEvent, ElementMutation } from '../../src/storage/boardElements.js';
import { CollaborationService, type CollaborationServiceOptions } from '../../src/boards/collaborationService.js';
import { MemoryBoardBus, MemoryBoardBusHub } from '../../src/boards/memoryBoardBus.js';
import { participantPalette } from '../../src/boards/participantColors.js';
import { WiresocketError } from '../../src/errors.js';
import { createEventLogStorage } from '../../src/storage/createEventLogStorage.js';
import type { EventLogStorage } from '../../src/storage/eventLogStorage.js';
import { PostgresEventLogStorage } from '../../src/storage/postgresEventLogStorage.js';
import { ManualClock } from '../helpers/manualClock.js';
import { eventually } from '../helpers/yjsClient.js';
import { postgresGate, PostgresSchemas } from '../helpers/postgresTestDatabase.js';

/** One database a test may open again (a server restart): a temp libSQL file, or a PostgreSQL schema. */
interface TestDatabase {
  open(): Promise<EventLogStorage>;
}

interface Backend {
  name: string;
  skip: string | false;
  fresh(): Promise<TestDatabase>;
}

const postgres = await postgresGate();
const schemas = postgres.url ? new PostgresSchemas(postgres.url) : null;
const tempDirs: string[] = [];
after(async () => {
  await schemas?.dropAll();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

const backends: Backend[] = [
  {
    name: 'libSQL file',
    skip: false,
    fresh: async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-boards-'));
      tempDirs.push(dir);
      return { open: () => createEventLogStorage({ url: `file:${path.join(dir, 'boards.db')}` }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgres.skip,
    fresh: async () => {
      postgres.assertAvailable();
      const schema = await schemas!.fresh();
      return { open: () => PostgresEventLogStorage.open({ url: postgres.url!, schema }) };
    },
  },
];

const upsert = (id: string, pageId = 'p1', extra: Record<string, unknown> = {}): ElementMutation => ({ op: 'upsert', pageId, element: { id, type: 'rect', ...extra } });
const remove = (elementId: string, pageId = 'p1'): ElementMutation => ({ op: 'delete', pageId, elementId });

/** A service (a node) on a database, with a hand-driven clock; `restart` is a new node on the same database. */
class Node {
  readonly clock = new ManualClock();
  readonly seen: BoardEvent[] = [];
  service!: CollaborationService;
  storage!: EventLogStorage;
  writes: string[] = [];

  constructor(
    private readonly database: TestDatabase,
    private readonly options: Partial<CollaborationServiceOptions> = {},
  ) {}

  async start(): Promise<this> {
    const storage = await this.database.open();
    // Records writePage calls (page id) on the real storage, to count storage writes per flush.
    this.storage = new Proxy(storage, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'writePage' && typeof value === 'function') {
          return (...args: unknown[]) => {
            this.writes.push(String(args[1]));
            return (value as (...inner: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? (value as (...inner: unknown[]) => unknown).bind(target) : value;
      },
    });
    this.service = new CollaborationService({ storage: this.storage, clock: this.clock, ...this.options });
    this.service.observe({ mutations: (_key, _user, events) => this.seen.push(...events) });
    return this;
  }

  async stop(): Promise<void> {
    await this.service.close();
    await this.storage.close();
  }

  async restart(): Promise<Node> {
    await this.stop();
    return new Node(this.database, this.options).start();
  }
}

for (const backend of backends) {
  describe(`CollaborationService on ${backend.name}`, { skip: backend.skip }, () => {
    const nodes: Node[] = [];
    after(async () => {
      for (const node of nodes) await node.stop().catch(() => undefined);
    });
    const startNode = async (options: Partial<CollaborationServiceOptions> = {}, database?: TestDatabase) => {
      const node = await new Node(database ?? (await backend.fresh()), options).start();
      nodes.push(node);
      return node;
    };

    it('BOARD-1/BOARD-9: one session per board, however many joins race; other boards get their own; stats count them', async () => {
      const { service } = await startNode();
      await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map((userId) => service.joinSession('board-a', userId, userId)));
      await service.joinSession('board-b', 'u1', 'u1');
      const session = await service.getSessionState('board-a');
      assert.equal(session?.participants.size, 5);
      assert.equal((await service.getSessionState('board-b'))?.participants.size, 1);
      assert.equal(await service.getSessionState('board-none'), null);
      assert.deepEqual(service.getSessionStats(), { activeSessions: 2, idleSessions: 0, totalParticipants: 6 });
    });

    it('BOARD-2/BOARD-7: active -> idle -> active -> idle -> archived, on the sweep after the ephemeral timeout (5 min)', async () => {
      const node = await startNode();
      const { service, clock } = node;
      const joined = await service.joinSession('cycle', 'u1', 'Ann');
      assert.equal(joined.session.state, 'active');
      await service.leaveSession('cycle', 'u1');
      let session = await service.getSessionState('cycle');
      assert.deepEqual([session?.state, session?.idleSince], ['idle', clock.now()]);
      assert.deepEqual(service.getSessionStats(), { activeSessions: 0, idleSessions: 1, totalParticipants: 0 });
      clock.advance(4 * 60_000);
      await service.joinSession('cycle', 'u1', 'Ann');
      assert.equal((await service.getSessionState('cycle'))?.state, 'active', 'a rejoin within the timeout keeps the session');
      await service.leaveSession('cycle', 'u1');
      clock.advance(4 * 60_000 + 59_000);
      await service.archiveIdleSessions();
      assert.equal((await service.getSessionState('cycle'))?.state, 'idle', 'not yet: idle for 4:59 at the last sweep');
      clock.advance(60_000);
      await service.archiveIdleSessions();
      session = await service.getSessionState('cycle');
      assert.equal(session, null, 'archived and deleted at the first sweep after 5 min');
    });

    it('BOARD-7/BOARD-14: a persistent session is archived after 15 min with a snapshot of every page; old events are pruned behind it', async () => {
      const node = await startNode({ retainEvents: 3 });
      const { service, clock, storage } = node;
      await service.joinSession('keep', 'u1', 'Ann', undefined, 'persistent');
      for (let index = 0; index < 10; index++) await service.applyMutations('keep', 'u1', [upsert(`e${index}`, index % 2 ? 'p2' : 'p1')]);
      await service.leaveSession('keep', 'u1');
      clock.advance(14 * 60_000);
      await service.archiveIdleSessions();
      assert.ok(await service.getSessionState('keep'), 'ephemeral would be gone by now; persistent is not');
      clock.advance(2 * 60_000);
      await service.archiveIdleSessions();
      assert.equal(await service.getSessionState('keep'), null);
      const snapshot = await storage.getLatestSnapshot('keep');
      assert.equal(snapshot?.sequence, 10);
      assert.deepEqual(Object.keys(snapshot?.pages ?? {}).sort(), ['p1', 'p2']);
      assert.equal(snapshot?.pages.p1.length, 5);
      const stored = await storage.loadBoard('keep');
      assert.deepEqual([stored.sequence, stored.flushedSequence, stored.oldestRetainedSequence], [10, 10, 8], 'the newest 3 events kept');
    });

    it('BOARD-4/BOARD-10: applyMutations logs each mutation as one event, in storage before it resolves, and returns the new sequence', async () => {
      const { service, storage } = await startNode();
      await service.joinSession('log', 'u1', 'Ann');
      assert.equal(await service.applyMutations('log', 'u1', [upsert('a'), upsert('b'), remove('a')]), 3);
      const events = await storage.getEventsSince('log', 0, 100);
      assert.deepEqual(events.map(({ sequence, userId, mutation }) => [sequence, userId, mutation.op]), [[1, 'u1', 'upsert'], [2, 'u1', 'upsert'], [3, 'u1', 'delete']]);
      assert.equal(await service.applyMutations('log', 'u1', [upsert('c')]), 4);
      assert.equal((await service.getSessionState('log'))?.currentSequence, 4);
      await assert.rejects(service.applyMutations('log', 'u1', [{ op: 'upsert', pageId: 'p1' } as unknown as ElementMutation]), { name: 'BatchInvalidError' });
      await assert.rejects(service.applyMutations('unjoined', 'u1', [upsert('x')]), (error: unknown) => error instanceof WiresocketError && error.code === 'BOARD_SESSION_NOT_FOUND');
      assert.equal((await storage.loadBoard('log')).sequence, 4, 'nothing of a refused batch was stored');
    });

    it('BOARD-3: delta with the missed mutations when fewer than 1000 events happened since; full otherwise, when ahead, or when unknown', async () => {
      const { service } = await startNode();
      await service.joinSession('catch', 'writer', 'W');
      await service.applyMutations('catch', 'writer', [upsert('a'), upsert('b')]);
      await service.applyMutations('catch', 'writer', [remove('a')]);
      const delta = await service.joinSession('catch', 'reader', 'R', 1);
      assert.equal(delta.syncType, 'delta');
      assert.deepEqual(delta.missedMutations, [upsert('b'), remove('a')]);
      assert.deepEqual((await service.joinSession('catch', 'reader', 'R', 3)).missedMutations, [], 'up to date: an empty delta');
      assert.equal((await service.joinSession('catch', 'reader', 'R', 4)).syncType, 'full', 'ahead of the board (restored or lost data)');
      assert.equal((await service.joinSession('catch', 'reader', 'R')).syncType, 'full', 'no lastSequence');
      const bulk = Array.from({ length: 1000 }, (_, index) => upsert(`bulk-${index}`));
      await service.applyMutations('catch', 'writer', bulk);
      assert.equal((await service.joinSession('catch', 'reader', 'R', 3)).syncType, 'full', 'exactly 1000 since: full');
      const justInside = await service.joinSession('catch', 'reader', 'R', 4);
      assert.equal(justInside.syncType, 'delta');
      assert.equal(justInside.missedMutations?.length, 999);
    });

    it('BOARD-3/BOARD-14: full when the log no longer holds the events since lastSequence (pruned behind a snapshot)', async () => {
      const node = await startNode({ retainEvents: 2 });
      const { service, storage } = node;
      await service.joinSession('pruned', 'u1', 'Ann', undefined, 'persistent');
      for (let index = 0; index < 6; index++) await service.applyMutations('pruned', 'u1', [upsert(`e${index}`)]);
      await service.flushPending('pruned');
      await storage.createSnapshot('pruned', { sequence: 6, pages: {}, createdAt: 0 });
      assert.ok((await storage.pruneEvents('pruned', 2)) > 0);
      assert.equal((await service.joinSession('pruned', 'u2', 'Bo', 2)).syncType, 'full', 'events 3 and 4 are gone');
      assert.equal((await service.joinSession('pruned', 'u2', 'Bo', 4)).syncType, 'delta', 'events 5 and 6 are kept');
    });

    it('BOARD-5: flushPending writes the pending mutations with one storage write per page, and they survive a restart', async () => {
      const node = await startNode({ flushIntervalMs: 3_600_000 });
      await node.service.joinSession('pages', 'u1', 'Ann');
      for (const pageId of ['p1', 'p2', 'p3']) await node.service.applyMutations('pages', 'u1', Array.from({ length: 10 }, (_, index) => upsert(`${pageId}-${index}`, pageId)));
      await node.service.applyMutations('pages', 'u1', [remove('p1-0', 'p1'), upsert('p2-1', 'p2', { v: 2 })]);
      assert.equal((await node.service.getSessionState('pages'))?.pendingMutations.length, 32);
      node.writes = [];
      await node.service.flushPending('pages');
      assert.deepEqual(node.writes.sort(), ['p1', 'p2', 'p3'], 'one write per page');
      assert.equal((await node.service.getSessionState('pages'))?.pendingMutations.length, 0);
      const stored = await node.storage.loadBoard('pages');
      assert.deepEqual([stored.flushedSequence, stored.elements.length, stored.tombstones.length], [32, 29, 1]);
      assert.equal(stored.elements.find(({ element }) => element.id === 'p2-1')?.updatedSequence, 32);
      const restarted = await node.restart();
      nodes.push(restarted);
      assert.deepEqual((await restarted.service.getBoardState('pages')).pages.p1.length, 9);
    });

    it('BOARD-6: flushes happen on the cadence (1 s), at 500 pending mutations, on closeSession and on shutdown', async () => {
      const node = await startNode();
      const { service, clock, storage } = node;
      await service.joinSession('cadence', 'u1', 'Ann');
      await service.applyMutations('cadence', 'u1', [upsert('a')]);
      assert.equal((await storage.loadBoard('cadence')).flushedSequence, 0);
      clock.advance(1_000);
      await eventually(async () => (await storage.loadBoard('cadence')).flushedSequence === 1, 3000, 'the 1 s cadence');
      await service.applyMutations('cadence', 'u1', Array.from({ length: 500 }, (_, index) => upsert(`n${index}`)));
      await eventually(async () => (await storage.loadBoard('cadence')).flushedSequence === 501, 3000, '500 pending: a flush at once, without the clock');
      await service.applyMutations('cadence', 'u1', [upsert('b')]);
      await service.closeSession('cadence');
      assert.equal((await storage.loadBoard('cadence')).flushedSequence, 502, 'closeSession flushes');
      assert.equal(await service.getSessionState('cadence'), null);
      await service.joinSession('cadence', 'u1', 'Ann');
      await service.applyMutations('cadence', 'u1', [upsert('c')]);
      await service.close();
      assert.equal((await storage.loadBoard('cadence')).flushedSequence, 503, 'shutdown flushes');
    });

    it('BOARD-8: colors from the palette, the first free one when taken, the old one back on a rejoin', async () => {
      const { service } = await startNode();
      const colorOf = async (userId: string) => (await service.joinSession('colors', userId, userId)).session.participants.get(userId)?.color;
      assert.deepEqual([await colorOf('a'), await colorOf('b'), await colorOf('c')], participantPalette.slice(0, 3));
      await service.leaveSession('colors', 'a');
      assert.equal(await colorOf('d'), participantPalette[0], 'two present: index 2 is held by c, so the first free one');
      await service.leaveSession('colors', 'b');
      assert.equal(await colorOf('b'), participantPalette[1], 'b rejoins within the session: its color');
      assert.equal(await colorOf('a'), participantPalette[3], 'a rejoins but d holds its color now: index 3');
      const present = [...(await service.getSessionState('colors'))!.participants.values()].map(({ color }) => color);
      assert.equal(new Set(present).size, present.length, 'nobody present shares a color');
    });

    it('BOARD-17: a join beyond the participant limit is refused (BOARD_FULL, 1013); another tab of a present user is not', async () => {
      const { service } = await startNode({ limits: { maxParticipants: 2 } });
      await service.joinSession('small', 'a', 'A');
      await service.joinSession('small', 'b', 'B');
      await assert.rejects(service.joinSession('small', 'c', 'C'), (error: unknown) => error instanceof WiresocketError && error.code === 'BOARD_FULL' && error.closeCode === 1013);
      await service.joinSession('small', 'a', 'A');
      await service.leaveSession('small', 'a');
      assert.equal((await service.getSessionState('small'))?.participants.size, 2, 'a still has a tab open');
    });

    it('BOARD-11: sequences continue across restarts and archives: a new session starts from the stored last sequence', async () => {
      let node = await startNode();
      await node.service.joinSession('continue', 'u1', 'Ann');
      await node.service.applyMutations('continue', 'u1', [upsert('a'), upsert('b')]);
      node = await node.restart();
      nodes.push(node);
      assert.equal((await node.service.joinSession('continue', 'u1', 'Ann')).session.currentSequence, 2);
      assert.equal(await node.service.applyMutations('continue', 'u1', [upsert('c')]), 3);
      await node.service.leaveSession('continue', 'u1');
      node.clock.advance(6 * 60_000);
      await node.service.archiveIdleSessions();
      assert.equal(await node.service.getSessionState('continue'), null, 'archived');
      await node.service.joinSession('continue', 'u2', 'Bo');
      assert.equal(await node.service.applyMutations('continue', 'u2', [remove('a')]), 4);
      assert.deepEqual((await node.service.getBoardState('continue')).pages.p1.map(({ id }) => id).sort(), ['b', 'c']);
    });

    it('BOARD-12: a resent batch (same user, same clientBatchId) is acknowledged with its original sequence and not applied twice, also after a restart', async () => {
      let node = await startNode();
      await node.service.joinSession('dedupe', 'u1', 'Ann');
      const first = await node.service.applyBatch('dedupe', 'u1', [upsert('a'), upsert('b')], { clientBatchId: 'batch-1' });
      assert.deepEqual([first.sequence, first.events.length, first.duplicate], [2, 2, false]);
      const again = await node.service.applyBatch('dedupe', 'u1', [upsert('a'), upsert('b')], { clientBatchId: 'batch-1' });
      assert.deepEqual([again.sequence, again.events.length, again.duplicate], [2, 0, true]);
      node = await node.restart();
      nodes.push(node);
      await node.service.joinSession('dedupe', 'u1', 'Ann');
      const afterRestart = await node.service.applyBatch('dedupe', 'u1', [upsert('a'), upsert('b')], { clientBatchId: 'batch-1' });
      assert.deepEqual([afterRestart.sequence, afterRestart.duplicate], [2, true]);
      const deleted = await node.service.applyBatch('dedupe', 'u1', [remove('a')], { clientBatchId: 'delete-a' });
      const deleteResent = await node.service.applyBatch('dedupe', 'u1', [remove('a')], { clientBatchId: 'delete-a' });
      assert.deepEqual([deleteResent.sequence, deleteResent.duplicate, deleteResent.rejected], [deleted.sequence, true, []], 'a resent delete is a duplicate, not a conflict with itself');
      const otherUser = await node.service.applyBatch('dedupe', 'u2', [upsert('c')], { clientBatchId: 'batch-1' });
      assert.deepEqual([otherUser.sequence, otherUser.duplicate], [4, false], 'ids are per user');
      assert.equal((await node.storage.loadBoard('dedupe')).sequence, 4);
    });

    it('BOARD-13: a conflicting mutation is refused with the authoritative tombstone while the rest of its batch applies; applyMutations is all or nothing', async () => {
      const { service } = await startNode();
      await service.joinSession('conflict', 'u1', 'Ann');
      await service.applyMutations('conflict', 'u1', [upsert('x'), upsert('y'), remove('x')]);
      const outcome = await service.applyBatch('conflict', 'u1', [upsert('x'), upsert('z'), remove('missing')]);
      assert.deepEqual(outcome.events.map(({ sequence }) => sequence), [4]);
      assert.deepEqual(outcome.rejected.map(({ index, rejection }) => [index, rejection.code]), [[0, 'ELEMENT_DELETED'], [2, 'ELEMENT_NOT_FOUND']]);
      assert.deepEqual(outcome.rejected[0].rejection, { code: 'ELEMENT_DELETED', tombstone: { pageId: 'p1', elementId: 'x', deletedSequence: 3 } });
      await assert.rejects(service.applyMutations('conflict', 'u1', [upsert('w'), upsert('x')]), (error: unknown) => error instanceof WiresocketError && error.code === 'MUTATION_CONFLICT');
      assert.equal((await service.getSessionState('conflict'))?.currentSequence, 4, 'nothing of the refused batch');
      assert.equal(await service.applyMutations('conflict', 'u1', [{ ...upsert('x'), recreate: true } as ElementMutation]), 5, 're-created on purpose');
    });

    it('BOARD-15: two nodes on one storage keep one gap-free order; each node sees every event once and both hold the same board', async () => {
      const database = await backend.fresh();
      const hub = new MemoryBoardBusHub();
      const [a, b] = [await startNode({ bus: new MemoryBoardBus('node-a', hub), nodeId: 'node-a' }, database), await startNode({ bus: new MemoryBoardBus('node-b', hub), nodeId: 'node-b' }, database)];
      await Promise.all([a.service.joinSession('shared', 'ua', 'A'), b.service.joinSession('shared', 'ub', 'B')]);
      const batches = Array.from({ length: 40 }, (_, index) => [upsert(`a${index}`), upsert(`b${index}`)]);
      await Promise.all(batches.flatMap(([fromA, fromB]) => [a.service.applyMutations('shared', 'ua', [fromA]), b.service.applyMutations('shared', 'ub', [fromB])]));
      // B deletes what A upserts at the same moment: whichever the log orders first, the other is checked against it.
      await a.service.applyMutations('shared', 'ua', [upsert('contested')]);
      const race = await Promise.allSettled([a.service.applyBatch('shared', 'ua', [upsert('contested', 'p1', { v: 2 })]), b.service.applyBatch('shared', 'ub', [remove('contested')])]);
      assert.ok(race.every(({ status }) => status === 'fulfilled'));
      const expected = 80 + 1 + race.filter((result) => result.status === 'fulfilled' && result.value.events.length > 0).length;
      await eventually(() => a.seen.length >= expected && b.seen.length >= expected, 5000, 'both nodes to see every event');
      const sequences = (node: Node) => node.seen.map(({ sequence }) => sequence).sort((x, y) => x - y);
      const stored = await a.storage.getEventsSince('shared', 0, 1000);
      assert.deepEqual(stored.map(({ sequence }) => sequence), Array.from({ length: stored.length }, (_, index) => index + 1), 'gap-free');
      assert.deepEqual(sequences(a), stored.map(({ sequence }) => sequence), 'node A saw every event once');
      assert.deepEqual(sequences(b), stored.map(({ sequence }) => sequence), 'node B saw every event once');
      assert.deepEqual(await a.service.getBoardState('shared'), await b.service.getBoardState('shared'));
    });
  });
}
