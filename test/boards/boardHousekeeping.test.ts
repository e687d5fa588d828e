import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ElementMutation } from '../../src/storage/boardElements.js';
import { CollaborationService, collaborationDefaults, type CollaborationServiceOptions } from '../../src/boards/collaborationService.js';
import { createEventLogStorage } from '../../src/storage/createEventLogStorage.js';
import type { EventLogStorage } from '../../src/storage/eventLogStorage.js';
import { ManualClock } from '../helpers/manualClock.js';
import { SteppedQueue } from '../helpers/steppedQueue.js';

const boardCount = 1000;
const boardKeys = Array.from({ length: boardCount }, (_, index) => `t::a::board-${index}`);
const upsert = (id: string): ElementMutation => ({ op: 'upsert', pageId: 'p1', element: { id, type: 'rect' } });

/**
 * A service on an in-memory libSQL store, a hand-driven clock and a stepped queue whose fake
 * clock moves 1 ms per read: each turn runs 3 tasks of its 3 ms budget. `writes` counts the
 * storage's page writes as they start (a flush started in a task writes in the task's turn).
 */
async function boardsNode(options: Partial<CollaborationServiceOptions> = {}) {
  const clock = new ManualClock();
  const stepped = new SteppedQueue(3, 1);
  const real = await createEventLogStorage({ url: ':memory:' });
  const writes: string[] = [];
  const storage: EventLogStorage = new Proxy(real, {
    get: (target, property, receiver) => {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property !== 'writePage') return method.bind(target);
      return (...args: unknown[]) => {
        writes.push(String(args[0]));
        return method.apply(target, args);
      };
    },
  });
  const service = new CollaborationService({ storage, clock, queue: stepped.queue, ...options });
  return { clock, stepped, storage, writes, service };
}

/** Every board gets one participant and one pending mutation (`leave`: and goes idle). */
async function fill(service: CollaborationService, leave = false): Promise<void> {
  for (const key of boardKeys) {
    await service.joinSession(key, 'u1', 'Ann');
    await service.applyMutations(key, 'u1', [upsert(`${key}-e`)]);
    if (leave) await service.leaveSession(key, 'u1');
  }
}

/** Runs the queue's turns one by one, letting the started storage writes settle in between. */
async function drain(stepped: SteppedQueue, onTurn: () => void = () => undefined): Promise<number> {
  let turns = 0;
  while (stepped.runTurn()) {
    turns++;
    onTurn();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return turns;
}

async function assertAllFlushed(storage: EventLogStorage, keys = boardKeys): Promise<void> {
  for (const key of keys) {
    const stored = await storage.loadBoard(key);
    assert.deepEqual([stored.flushedSequence, stored.elements.map(({ element }) => element.id)], [1, [`${key}-e`]], `${key} flushed`);
  }
}

describe('boards: periodic work on the housekeeping queue (issue 14)', () => {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await cleanup?.();
    cleanup = null;
  });
  const started = async (options: Partial<CollaborationServiceOptions> = {}) => {
    const node = await boardsNode(options);
    cleanup = async () => {
      await node.service.close();
      await node.storage.close();
    };
    return node;
  };

  it('PERF-6/BOARD-6: 1,000 boards due for their cadence flush at once are flushed over hundreds of turns, none lost', async () => {
    const { clock, stepped, storage, writes, service } = await started();
    await fill(service);
    clock.advance(collaborationDefaults.flushIntervalMs);
    assert.equal(writes.length, 0, 'the cadence tick only queues the flushes');
    assert.equal(stepped.queue.size, boardCount);
    clock.advance(collaborationDefaults.flushIntervalMs);
    assert.equal(stepped.queue.size, boardCount, 'a queue running behind gets no second flush per board');
    let busiest = 0;
    let before = 0;
    const turns = await drain(stepped, () => {
      busiest = Math.max(busiest, writes.length - before);
      before = writes.length;
    });
    assert.equal(busiest, 3, 'each turn flushes what fits its 3 ms budget');
    assert.ok(turns >= 334, `spread over ${turns} turns`);
    assert.equal(writes.length, boardCount, 'one page write per board');
    await assertAllFlushed(storage);
    assert.equal(service.getSessionStats().activeSessions, boardCount);
    assert.equal((await service.getSessionState(boardKeys[0]))?.pendingMutations.length, 0);
  });

  it('PERF-6/BOARD-7: 1,000 boards past their idle timeout at once are archived over hundreds of turns, each flushed first; a rejoin meanwhile keeps its session', async () => {
    const { clock, stepped, storage, writes, service } = await started({ flushIntervalMs: 3_600_000 });
    await fill(service, true);
    clock.advance(collaborationDefaults.ephemeralIdleTimeoutMs);
    assert.equal(writes.length, 0, 'the sweep only queues the archivings');
    assert.equal(stepped.queue.size, boardCount);
    await service.joinSession(boardKeys[7], 'u2', 'Bo');
    stepped.runTurn();
    assert.equal(service.getSessionStats().idleSessions, boardCount - 1 - 3, 'one turn archives 3');
    await drain(stepped);
    await service.archiveIdleSessions(); // waits for the archivings under way
    assert.deepEqual(service.getSessionStats(), { activeSessions: 1, idleSessions: 0, totalParticipants: 1 }, 'only the rejoined board is left');
    await assertAllFlushed(storage, boardKeys.filter((key) => key !== boardKeys[7]));
    assert.equal((await service.getSessionState(boardKeys[7]))?.pendingMutations.length, 1, 'the rejoined board keeps its pending mutation for its own flush');
  });

  it('PERF-6/BOARD-6: shutdown flushes every board at once, its queued cadence flushes then find nothing to do', async () => {
    const { clock, stepped, storage, writes, service } = await started();
    await fill(service);
    clock.advance(collaborationDefaults.flushIntervalMs);
    assert.equal(stepped.queue.size, boardCount);
    await service.close();
    assert.equal(writes.length, boardCount, 'close() did not wait for the queue');
    await assertAllFlushed(storage);
    await drain(stepped);
    assert.equal(writes.length, boardCount, 'no second write');
  });
});
