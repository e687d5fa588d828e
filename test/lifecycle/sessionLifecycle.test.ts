import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionLifecycle } from '../../src/lifecycle/sessionLifecycle.js';
import { InvalidTransitionError, type ArchiveReason } from '../../src/lifecycle/sessionState.js';
import { ManualClock } from '../helpers/manualClock.js';

const idleTimeoutMs = 10_000;

interface Harness {
  clock: ManualClock;
  lifecycle: SessionLifecycle;
  /** `clock.now()` at each idle-timeout callback. */
  fired: number[];
}

/** A lifecycle with a precise timer (documents) or, with `sweep`, without one (boards). */
function harness(options: { sweep?: boolean; onTimeout?: (lifecycle: SessionLifecycle) => void } = {}): Harness {
  const clock = new ManualClock();
  const fired: number[] = [];
  const lifecycle: SessionLifecycle = new SessionLifecycle({
    clock,
    idleTimeoutMs,
    onIdleTimeout: options.sweep
      ? undefined
      : () => {
          fired.push(clock.now());
          options.onTimeout?.(lifecycle);
        },
  });
  return { clock, lifecycle, fired };
}

/** created -> active -> idle, with one participant who leaves at `clock.now()`. */
function idleSession(options: Parameters<typeof harness>[0] = {}): Harness & { idleSince: number } {
  const h = harness(options);
  h.lifecycle.participantJoined();
  h.clock.advance(1_234);
  h.lifecycle.lastParticipantLeft();
  return { ...h, idleSince: h.clock.now() };
}

describe('SessionLifecycle: states and timestamps', () => {
  it('LIFE-1: starts created at the clock time, with no timer', () => {
    const { clock, lifecycle } = harness();
    assert.deepEqual(lifecycle.state, { kind: 'created', createdAt: clock.now() });
    assert.equal(lifecycle.isArchived, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it('LIFE-1: the first participant makes it active; more participants keep activeSince', () => {
    const { clock, lifecycle } = harness();
    const createdAt = clock.now();
    clock.advance(5);
    lifecycle.participantJoined();
    clock.advance(5);
    lifecycle.participantJoined();
    assert.deepEqual(lifecycle.state, { kind: 'active', createdAt, activeSince: createdAt + 5 });
    assert.equal(clock.pendingTimers, 0);
  });

  it('LIFE-8: the last participant leaving makes it idle and starts one timer due after idleTimeoutMs', () => {
    const { clock, lifecycle, idleSince } = idleSession();
    assert.equal(lifecycle.state.kind, 'idle');
    assert.equal(lifecycle.state.kind === 'idle' && lifecycle.state.idleSince, idleSince);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextDueAt, idleSince + idleTimeoutMs);
  });

  it('LIFE-8: a second "last participant left" while idle is refused and starts no second timer', () => {
    const { clock, lifecycle } = idleSession();
    assert.throws(() => lifecycle.lastParticipantLeft(), InvalidTransitionError);
    assert.equal(clock.pendingTimers, 1);
  });
});

describe('SessionLifecycle: precise idle timer (documents)', () => {
  it('LIFE-8: fires once, after exactly idleTimeoutMs of clock time', () => {
    const { clock, fired, idleSince } = idleSession();
    clock.advance(idleTimeoutMs - 1);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [idleSince + idleTimeoutMs]);
    clock.advance(idleTimeoutMs * 5);
    assert.deepEqual(fired, [idleSince + idleTimeoutMs]);
    assert.equal(clock.pendingTimers, 0);
  });

  it('LIFE-10: the timer tells the owner; the owner archives with expire() (reason idle-timeout)', () => {
    const { clock, lifecycle, fired, idleSince } = idleSession({ onTimeout: (own) => own.expire() });
    clock.advance(idleTimeoutMs);
    assert.equal(fired.length, 1);
    const { createdAt } = lifecycle.state;
    assert.deepEqual(lifecycle.state, { kind: 'archived', createdAt, archivedAt: idleSince + idleTimeoutMs, reason: 'idle-timeout' });
    assert.equal(lifecycle.isArchived, true);
  });

  it('LIFE-10: the lifecycle itself stays idle until the owner expires it', () => {
    const { clock, lifecycle } = idleSession();
    clock.advance(idleTimeoutMs);
    assert.equal(lifecycle.state.kind, 'idle');
    lifecycle.expire();
    assert.equal(lifecycle.state.kind, 'archived');
  });

  it('LIFE-9: a rejoin within the grace cancels the timer, even one millisecond before it is due', () => {
    const { clock, lifecycle, fired } = idleSession();
    clock.advance(idleTimeoutMs - 1);
    lifecycle.participantJoined();
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(lifecycle.state, { kind: 'active', createdAt: lifecycle.state.createdAt, activeSince: clock.now() });
    clock.advance(idleTimeoutMs * 3);
    assert.deepEqual(fired, []);
  });

  it('LIFE-9: after a rejoin, the next leave starts a full new grace', () => {
    const { clock, lifecycle, fired } = idleSession();
    clock.advance(idleTimeoutMs / 2);
    lifecycle.participantJoined();
    clock.advance(100);
    lifecycle.lastParticipantLeft();
    const secondLeave = clock.now();
    clock.advance(idleTimeoutMs - 1);
    assert.deepEqual(fired, []);
    clock.advance(1);
    assert.deepEqual(fired, [secondLeave + idleTimeoutMs]);
  });

  it('LIFE-10: expire() before the timer fires clears the timer', () => {
    const { clock, lifecycle, fired } = idleSession();
    clock.advance(idleTimeoutMs / 2);
    lifecycle.expire();
    assert.equal(clock.pendingTimers, 0);
    clock.advance(idleTimeoutMs);
    assert.deepEqual(fired, []);
  });

  it('LIFE-10: expire() is refused in created and active', () => {
    const { lifecycle } = harness();
    assert.throws(() => lifecycle.expire(), InvalidTransitionError);
    lifecycle.participantJoined();
    assert.throws(() => lifecycle.expire(), InvalidTransitionError);
    assert.equal(lifecycle.state.kind, 'active');
  });
});

describe('SessionLifecycle: sweep-style expiry (boards)', () => {
  it('LIFE-8: without onIdleTimeout no timer is ever set', () => {
    const { clock } = idleSession({ sweep: true });
    assert.equal(clock.pendingTimers, 0);
  });

  it('LIFE-10: isIdleExpired turns true at exactly idleTimeoutMs after the leave', () => {
    const { clock, lifecycle, idleSince } = idleSession({ sweep: true });
    clock.advance(idleTimeoutMs - 1);
    assert.equal(lifecycle.isIdleExpired(), false);
    clock.advance(1);
    assert.equal(lifecycle.isIdleExpired(), true);
    assert.equal(lifecycle.isIdleExpired(idleSince + idleTimeoutMs - 1), false, 'an explicit sweep time is used');
    assert.equal(lifecycle.isIdleExpired(idleSince + idleTimeoutMs), true);
  });

  it('LIFE-9: isIdleExpired is false in every state but idle, however much time passed', () => {
    const { clock, lifecycle } = harness({ sweep: true });
    const later = () => clock.now() + idleTimeoutMs * 100;
    assert.equal(lifecycle.isIdleExpired(later()), false, 'created');
    lifecycle.participantJoined();
    assert.equal(lifecycle.isIdleExpired(later()), false, 'active');
    lifecycle.lastParticipantLeft();
    clock.advance(idleTimeoutMs);
    lifecycle.participantJoined();
    assert.equal(lifecycle.isIdleExpired(later()), false, 'active again after a rejoin');
    lifecycle.close();
    assert.equal(lifecycle.isIdleExpired(later()), false, 'archived');
  });
});

describe('SessionLifecycle: explicit close', () => {
  /** Brings a fresh lifecycle into each live state. */
  const liveStates: Record<'created' | 'active' | 'idle', (lifecycle: SessionLifecycle) => void> = {
    created: () => undefined,
    active: (lifecycle) => lifecycle.participantJoined(),
    idle: (lifecycle) => {
      lifecycle.participantJoined();
      lifecycle.lastParticipantLeft();
    },
  };
  const reasons: (Exclude<ArchiveReason, 'idle-timeout'> | undefined)[] = [undefined, 'closed', 'shutdown'];
  for (const [from, enter] of Object.entries(liveStates)) {
    for (const reason of reasons) {
      it(`LIFE-10: close(${reason ?? ''}) from ${from} archives with reason ${reason ?? 'closed'} and leaves no timer`, () => {
        const h = harness();
        enter(h.lifecycle);
        assert.equal(h.lifecycle.state.kind, from);
        h.clock.advance(7);
        h.lifecycle.close(reason);
        const { createdAt } = h.lifecycle.state;
        assert.deepEqual(h.lifecycle.state, { kind: 'archived', createdAt, archivedAt: h.clock.now(), reason: reason ?? 'closed' });
        assert.equal(h.clock.pendingTimers, 0);
        h.clock.advance(idleTimeoutMs * 2);
        assert.deepEqual(h.fired, []);
      });
    }
  }

  it('LIFE-12: an archived lifecycle refuses every further call', () => {
    const { lifecycle } = harness();
    lifecycle.close('shutdown');
    assert.throws(() => lifecycle.close(), InvalidTransitionError);
    assert.throws(() => lifecycle.participantJoined(), InvalidTransitionError);
    assert.throws(() => lifecycle.lastParticipantLeft(), InvalidTransitionError);
    assert.throws(() => lifecycle.expire(), InvalidTransitionError);
    assert.equal(lifecycle.state.kind === 'archived' && lifecycle.state.reason, 'shutdown');
  });
});
