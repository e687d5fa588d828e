import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { RoutingTable } from '../../src/routing/index.js';
import { ClusterMembership } from '../../src/server/clusterMembership.js';
import { ConnectsPerIp } from '../../src/server/connectsPerIp.js';
import { KeyRotationWatcher } from '../../src/server/keyRotationWatcher.js';
import type { KeyRotation, TenantRegistry } from '../../src/tenancy/index.js';
import { ManualClock } from '../helpers/manualClock.js';
import { SteppedQueue } from '../helpers/steppedQueue.js';

/** A store call the test answers by hand: `calls` counts them, `answer` settles the oldest open one. */
class HeldCalls<T> {
  calls = 0;
  private readonly open: ((value: T) => void)[] = [];
  call(): Promise<T> {
    this.calls++;
    return new Promise((resolve) => this.open.push(resolve));
  }
  get waiting(): number {
    return this.open.length;
  }
  answer(value: T): void {
    this.open.shift()?.(value);
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('periodic server timers: jittered, never overlapping, sweeps budgeted (issue 14)', () => {
  describe('the connects-per-IP sweep', () => {
    const windowMs = 60_000;

    it('PERF-6: 5,000 ended windows are swept 1,000 a task over the housekeeping queue, not in the timer; live ones stay', () => {
      const clock = new ManualClock();
      const stepped = new SteppedQueue(1, 1); // one task a turn
      const connects = new ConnectsPerIp(10, clock, { queue: stepped.queue, random: () => 0 });
      for (let index = 0; index < 5_000; index++) connects.admit(`10.0.${index >> 8}.${index & 255}`);
      clock.advance(windowMs - 1);
      connects.admit('192.0.2.1'); // still in its window at the sweep
      clock.advance(1);
      assert.equal(connects.size, 5_001, 'the timer only queues the sweep');
      const sizes: number[] = [];
      while (stepped.runTurn()) sizes.push(connects.size);
      assert.deepEqual(sizes, [4_001, 3_001, 2_001, 1_001, 1, 1], 'a slice per turn; the last one finds the end');
      assert.equal(connects.retryAfterSeconds('192.0.2.1'), 60, 'the live window is kept');
      connects.stop();
    });

    it('PERF-6: a sweep still walking when the next is due makes that one skip; each comes 45-60 s after the last', () => {
      const clock = new ManualClock();
      const stepped = new SteppedQueue(1, 1);
      const connects = new ConnectsPerIp(10, clock, { queue: stepped.queue, random: () => 0.75 });
      const firstDue = clock.nextDueAt! - clock.now();
      assert.equal(firstDue, 48_750, 'a jittered first sweep, within 45-60 s');
      for (let index = 0; index < 3_000; index++) connects.admit(`10.1.${index >> 8}.${index & 255}`);
      clock.advance(firstDue);
      stepped.runTurn();
      assert.equal(connects.size, 3_000, 'the first slice: nothing ended yet');
      clock.advance(firstDue); // the windows end and the next sweep comes due while this walk has slices left
      assert.equal(stepped.queue.size, 1, 'no second walk next to the first');
      stepped.runAll();
      assert.equal(connects.size, 1_000, 'the walk went on where it was: its first slice is not seen again');
      clock.advance(firstDue);
      stepped.runAll();
      assert.equal(connects.size, 0, 'the walk ended: the next sweep runs');
      connects.stop();
      assert.equal(clock.pendingTimers, 0);
    });

    it('PERF-6: turned off (limit 0), it sets no timer at all', () => {
      const clock = new ManualClock();
      new ConnectsPerIp(0, clock).stop();
      assert.equal(clock.pendingTimers, 0);
    });
  });

  describe('the key-rotation poll', () => {
    function watcher(random: number, onRotation: (rotation: KeyRotation) => void = () => undefined) {
      const clock = new ManualClock();
      const reads = new HeldCalls<KeyRotation[]>();
      const tenants = { latestKeyRotation: async () => 0, keyRotationsSince: () => reads.call() } as unknown as TenantRegistry;
      const watching = new KeyRotationWatcher({ tenants, clock, intervalMs: 1_000, logger: silentLogger(), onRotation, random: () => random });
      return { clock, reads, watching };
    }

    it('PERF-6/LIM-16: a poll still waiting for the store makes the next ones skip; once it answers, polling goes on', async () => {
      const rotations: KeyRotation[] = [];
      const { clock, reads, watching } = watcher(0, (rotation) => rotations.push(rotation));
      await watching.start();
      clock.advance(1_000);
      assert.equal(reads.calls, 1);
      clock.advance(5_000);
      assert.equal(reads.calls, 1, 'five intervals on a slow store: still one read');
      reads.answer([{ sequence: 1, tenantId: 't', appId: 'a', keyVersion: 2 }]);
      await settle();
      assert.equal(rotations.length, 1);
      clock.advance(1_000);
      assert.equal(reads.calls, 2, 'the next interval reads again');
      assert.equal(reads.waiting, 1);
      watching.stop();
      assert.equal(clock.pendingTimers, 0);
    });

    it('PERF-6/LIM-16: nodes started together poll at jittered times, each within the interval', async () => {
      const firstPolls: number[] = [];
      for (const random of [0, 0.4, 0.8]) {
        const { clock, reads, watching } = watcher(random);
        await watching.start();
        const start = clock.now();
        while (reads.calls === 0) clock.advance(10);
        firstPolls.push(clock.now() - start);
        watching.stop();
      }
      assert.deepEqual(firstPolls, [1_000, 900, 800]);
    });
  });

  describe('the cluster heartbeat', () => {
    function membership(random: () => number) {
      const clock = new ManualClock();
      const beats = new HeldCalls<boolean>();
      let started = false;
      const routing = {
        heartbeat: () => (started ? beats.call() : Promise.resolve(true)),
        reapStaleNodes: async () => ({ nodeIds: [], orphans: [] }),
        liveNodeIds: async () => ['n1'],
      } as unknown as RoutingTable;
      const live: string[][] = [];
      const lease: string[] = [];
      const startedAt = clock.now();
      const member = new ClusterMembership({
        routing,
        node: { nodeId: 'n1', region: 'r', url: 'ws://n1' },
        clock,
        heartbeatIntervalMs: 5_000,
        nodeTimeoutMs: 15_000,
        events: {
          onReaped: () => undefined,
          onOrphans: () => undefined,
          onLiveNodes: (ids) => live.push([...ids]),
          onLeaseLost: () => lease.push(`lost at ${clock.now() - startedAt}`),
          onLeaseRegained: async () => void lease.push(`regained at ${clock.now() - startedAt}`),
        },
        logger: silentLogger(),
        random,
      });
      const start = async () => {
        await member.start();
        started = true;
      };
      return { clock, beats, member, live, lease, start };
    }

    it('REGION-10: unanswered heartbeats lose the lease half an interval before the others may count the node dead; an answer regains it', async () => {
      const { clock, beats, member, lease, start } = membership(() => 0);
      await start();
      clock.advance(5_000);
      assert.equal(beats.calls, 1, 'a beat is waiting for the store');
      clock.advance(7_499);
      assert.deepEqual(lease, [], 'not before nodeTimeoutMs - interval/2 after the last answered beat was sent');
      clock.advance(1);
      assert.deepEqual(lease, ['lost at 12500'], 'lost once, although the round still hangs');
      clock.advance(10_000);
      assert.deepEqual(lease, ['lost at 12500']);
      beats.answer(true);
      await settle();
      assert.deepEqual(lease, ['lost at 12500'], 'a beat answered after its own lease ran out proves nothing');
      while (beats.calls < 2) clock.advance(500);
      beats.answer(true);
      await settle();
      assert.equal(lease.length, 2);
      assert.match(lease[1], /^regained at \d+$/, 'the next beat answered in time regains it');
      for (let round = 3; round <= 5; round++) {
        while (beats.calls < round) clock.advance(500);
        beats.answer(true);
        await settle();
      }
      assert.equal(lease.length, 2, 'answered beats keep it');
      member.stop();
      assert.equal(clock.pendingTimers, 0);
    });

    it('PERF-6/CLUSTER-3: a round still waiting for the store makes the next skip; the cadence goes on once it answers', async () => {
      const { clock, beats, member, live, start } = membership(() => 0);
      await start();
      clock.advance(5_000);
      clock.advance(15_000);
      assert.equal(beats.calls, 1, 'one round at a time');
      beats.answer(true);
      await settle();
      assert.deepEqual(live, [['n1']], 'the round finished');
      clock.advance(5_000);
      assert.equal(beats.calls, 2);
      member.stop();
      assert.equal(clock.pendingTimers, 0);
    });

    it('PERF-6/CLUSTER-3: heartbeats come 75-100 % of the interval apart, never later', async () => {
      const draws = [0.8, 0.4, 0];
      const { clock, beats, member, start } = membership(() => draws.shift() ?? 0);
      await start();
      const begun = clock.now();
      const at: number[] = [];
      for (let round = 0; round < 3; round++) {
        while (beats.calls === round) clock.advance(50);
        at.push(clock.now() - begun);
        beats.answer(true);
        await settle();
      }
      member.stop();
      assert.deepEqual(at, [4_000, 8_500, 13_500], 'waits of 4, 4.5 and 5 s: each drawn anew, never past the interval');
    });
  });
});
