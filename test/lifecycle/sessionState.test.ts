import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidTransitionError,
  nextSessionState,
  type ArchiveReason,
  type SessionEvent,
  type LifecycleState,
  type SessionStateKind,
} from '../../src/lifecycle/sessionState.js';

const createdAt = 100;
const now = 1_000;

/** One sample of every state, each with distinct timestamps so a mix-up shows. */
const samples: { [K in SessionStateKind]: Extract<LifecycleState, { kind: K }> } = {
  created: { kind: 'created', createdAt },
  active: { kind: 'active', createdAt, activeSince: 200 },
  idle: { kind: 'idle', createdAt, idleSince: 300 },
  archived: { kind: 'archived', createdAt, archivedAt: 400, reason: 'closed' },
};

type Outcome = LifecycleState | 'forbidden';

const archivedNow = (reason: ArchiveReason): LifecycleState => ({ kind: 'archived', createdAt, archivedAt: now, reason });

/**
 * The whole transition table, states x events (DESIGN.md "The session lifecycle"). Typed as a
 * Record over both unions, so a new state or event does not compile until it has a row here.
 */
const table: Record<SessionStateKind, Record<SessionEvent, Outcome>> = {
  created: {
    'participant-joined': { kind: 'active', createdAt, activeSince: now },
    'last-participant-left': 'forbidden',
    'idle-timeout': 'forbidden',
    close: archivedNow('closed'),
  },
  active: {
    // Another participant joining changes nothing: the session has been active since 200.
    'participant-joined': samples.active,
    'last-participant-left': { kind: 'idle', createdAt, idleSince: now },
    'idle-timeout': 'forbidden',
    close: archivedNow('closed'),
  },
  idle: {
    'participant-joined': { kind: 'active', createdAt, activeSince: now },
    'last-participant-left': 'forbidden',
    'idle-timeout': archivedNow('idle-timeout'),
    close: archivedNow('closed'),
  },
  archived: {
    'participant-joined': 'forbidden',
    'last-participant-left': 'forbidden',
    'idle-timeout': 'forbidden',
    close: 'forbidden',
  },
};

/** The spec rule a transition (or its refusal) proves, for the test name. */
function ruleOf(from: SessionStateKind, event: SessionEvent): string {
  if (from === 'archived') return 'LIFE-12';
  switch (event) {
    case 'participant-joined':
      return from === 'idle' ? 'LIFE-9' : 'LIFE-1';
    case 'last-participant-left':
      return 'LIFE-8';
    case 'idle-timeout':
    case 'close':
      return 'LIFE-10';
  }
}

function describeOutcome(outcome: Outcome): string {
  return outcome === 'forbidden' ? 'is forbidden' : `-> ${outcome.kind}`;
}

describe('nextSessionState: every state x every event', () => {
  for (const [from, row] of Object.entries(table) as [SessionStateKind, Record<SessionEvent, Outcome>][]) {
    for (const [event, expected] of Object.entries(row) as [SessionEvent, Outcome][]) {
      it(`${ruleOf(from, event)}: ${from} + ${event} ${describeOutcome(expected)}`, () => {
        // States are flat objects: a frozen copy proves the function never writes to its input.
        const state = Object.freeze({ ...samples[from] });
        if (expected === 'forbidden') {
          assert.throws(() => nextSessionState(state, event, now), (error: unknown) => {
            assert.ok(error instanceof InvalidTransitionError);
            assert.match(error.message, new RegExp(`'${event}'.*'${from}'`));
            return true;
          });
          return;
        }
        assert.deepEqual(nextSessionState(state, event, now), expected);
        assert.deepEqual(state, samples[from], 'the input state is not modified');
      });
    }
  }

  it('the table covers 4 states x 4 events', () => {
    const pairs = Object.values(table).flatMap((row) => Object.keys(row));
    assert.equal(pairs.length, 16);
  });
});

describe('nextSessionState: archived is final whatever the reason', () => {
  const reasons: ArchiveReason[] = ['idle-timeout', 'closed', 'shutdown'];
  const events: SessionEvent[] = ['participant-joined', 'last-participant-left', 'idle-timeout', 'close'];
  for (const reason of reasons) {
    it(`LIFE-12: an archived (${reason}) session accepts no event; a new session must be created`, () => {
      const state: LifecycleState = { kind: 'archived', createdAt, archivedAt: 400, reason };
      for (const event of events) assert.throws(() => nextSessionState(state, event, now), InvalidTransitionError);
    });
  }
});

describe('nextSessionState: timestamps travel with the state', () => {
  it('LIFE-9: createdAt survives every hop; each state stamps its own entry time', () => {
    let state: LifecycleState = { kind: 'created', createdAt: 10 };
    const steps: [SessionEvent, number, LifecycleState][] = [
      ['participant-joined', 20, { kind: 'active', createdAt: 10, activeSince: 20 }],
      ['participant-joined', 25, { kind: 'active', createdAt: 10, activeSince: 20 }],
      ['last-participant-left', 30, { kind: 'idle', createdAt: 10, idleSince: 30 }],
      ['participant-joined', 40, { kind: 'active', createdAt: 10, activeSince: 40 }],
      ['last-participant-left', 50, { kind: 'idle', createdAt: 10, idleSince: 50 }],
      ['idle-timeout', 60, { kind: 'archived', createdAt: 10, archivedAt: 60, reason: 'idle-timeout' }],
    ];
    for (const [event, at, expected] of steps) {
      state = nextSessionState(state, event, at);
      assert.deepEqual(state, expected, `after ${event} at ${at}`);
    }
  });
});
