import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import type { Principal } from '../../src/auth/index.js';
import { SocketSupervisor, type Supervisee } from '../../src/server/socketSupervisor.js';
import { ManualClock } from '../helpers/manualClock.js';

/** The part of a `ws` socket the supervisor uses: ping (answered with a pong unless silent), terminate. */
class FakeSocket extends EventEmitter {
  bufferedAmount = 0;
  readonly pings: number[] = [];
  terminated = false;
  constructor(
    private readonly clock: ManualClock,
    readonly silent = false,
  ) {
    super();
  }
  ping(): void {
    this.pings.push(this.clock.now());
    if (!this.silent) this.emit('pong');
  }
  terminate(): void {
    this.terminated = true;
  }
}

const principal: Principal = { tenantId: 't', appId: 'a', userId: 'u', access: 'read-write', docs: null, expiresAt: Number.MAX_SAFE_INTEGER, keyVersion: 1 };

/** A seeded generator, so the phases are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('socket supervision spread over the interval (issue 14, LIM-13)', () => {
  const pingIntervalMs = 15_000;
  const livenessTimeoutMs = 45_000;
  const roundMs = 1_000;

  function supervise(count: number, silentCount = 0) {
    const clock = new ManualClock();
    const limits: string[] = [];
    const supervisor = new SocketSupervisor(
      { clock, pingIntervalMs, livenessTimeoutMs, maxBufferedBytes: 1 << 20, slowReaderTimeoutMs: 10_000, onLimit: (limit) => limits.push(limit) },
      seeded(7),
    );
    const failed: FakeSocket[] = [];
    const sockets = Array.from({ length: count }, (_, index) => new FakeSocket(clock, index < silentCount));
    const watchedAt = clock.now();
    for (const socket of sockets) {
      const connection: Supervisee = { fail: () => failed.push(socket) };
      supervisor.watch(socket as unknown as WebSocket, connection, principal);
    }
    return { clock, supervisor, sockets, limits, failed, watchedAt };
  }

  it('LIM-13: 5,000 sockets watched at once: pings per timer run are bounded by the slice, spread over the interval, and every socket is pinged within its interval', () => {
    const { clock, supervisor, sockets, watchedAt } = supervise(5000);
    assert.equal(supervisor.sliceSize, 250, '5,000 sockets in 20 slices of a 1 s round');
    clock.advance(4 * pingIntervalMs);
    const perRun = new Map<number, number>();
    for (const socket of sockets) for (const at of socket.pings) perRun.set(at, (perRun.get(at) ?? 0) + 1);
    const busiest = Math.max(...perRun.values());
    assert.ok(busiest <= 250, `at most one slice of pings per run, saw ${busiest}`);
    assert.ok(perRun.size >= 200, `pings spread over ${perRun.size} runs`);
    // Per second, the pings of a 15 s interval: about 5,000 / 15; never the whole 5,000 in one go.
    const perSecond = new Map<number, number>();
    for (const [at, count] of perRun) perSecond.set(Math.floor((at - watchedAt) / 1000), (perSecond.get(Math.floor((at - watchedAt) / 1000)) ?? 0) + count);
    assert.ok(Math.max(...perSecond.values()) <= 1000, `busiest second: ${Math.max(...perSecond.values())} pings`);
    for (const socket of sockets) {
      const gaps = socket.pings.map((at, index) => at - (index === 0 ? watchedAt : socket.pings[index - 1]));
      assert.ok(gaps.length >= 3, 'pinged every interval');
      assert.ok(Math.max(...gaps) <= pingIntervalMs + roundMs, `a gap of ${Math.max(...gaps)} ms`);
    }
    supervisor.stop();
  });

  it('LIM-13: a silent socket among them is still cut within the liveness timeout plus one round; answering ones stay', () => {
    const { clock, supervisor, sockets, limits, failed } = supervise(1000, 3);
    clock.advance(livenessTimeoutMs - 1);
    assert.equal(failed.length, 0, 'not before the timeout');
    clock.advance(roundMs + 1);
    assert.deepEqual(new Set(failed), new Set(sockets.slice(0, 3)));
    assert.ok(sockets.slice(0, 3).every((socket) => socket.terminated));
    assert.deepEqual(limits, ['liveness', 'liveness', 'liveness']);
    assert.equal(supervisor.size, 997);
    supervisor.stop();
  });
});
