/**
 * The one session state machine shared by documents and boards (DESIGN.md "The session
 * lifecycle"):
 *
 *   created --first participant--> active --last participant leaves--> idle --timeout--> archived
 *                                    ^                                   |
 *                                    +------ a participant (re)joins ----+
 *
 * Each state carries its own timestamps, so nothing has to be derived from side fields.
 */
export type LifecycleState =
  | { kind: 'created'; createdAt: number }
  | { kind: 'active'; createdAt: number; activeSince: number }
  | { kind: 'idle'; createdAt: number; idleSince: number }
  | { kind: 'archived'; createdAt: number; archivedAt: number; reason: ArchiveReason };

export type SessionStateKind = LifecycleState['kind'];

/** Why a session ended: its idle timeout passed, or it was closed explicitly (API, shutdown). */
export type ArchiveReason = 'idle-timeout' | 'closed' | 'shutdown';

export type SessionEvent = 'participant-joined' | 'last-participant-left' | 'idle-timeout' | 'close';

export class InvalidTransitionError extends Error {
  constructor(from: SessionStateKind, event: SessionEvent) {
    super(`session lifecycle: '${event}' is not allowed in state '${from}'`);
    this.name = 'InvalidTransitionError';
  }
}

/** Pure transition function: the next state, or an InvalidTransitionError. */
export function nextSessionState(state: LifecycleState, event: SessionEvent, now: number): LifecycleState {
  switch (state.kind) {
    case 'created':
    case 'idle':
      if (event === 'participant-joined') return { kind: 'active', createdAt: state.createdAt, activeSince: now };
      if (event === 'idle-timeout' && state.kind === 'idle') return archived(state, now, 'idle-timeout');
      if (event === 'close') return archived(state, now, 'closed');
      throw new InvalidTransitionError(state.kind, event);
    case 'active':
      if (event === 'participant-joined') return state;
      if (event === 'last-participant-left') return { kind: 'idle', createdAt: state.createdAt, idleSince: now };
      if (event === 'close') return archived(state, now, 'closed');
      throw new InvalidTransitionError(state.kind, event);
    case 'archived':
      throw new InvalidTransitionError(state.kind, event);
    default:
      return assertNever(state);
  }
}

function archived(state: LifecycleState, now: number, reason: ArchiveReason): LifecycleState {
  return { kind: 'archived', createdAt: state.createdAt, archivedAt: now, reason };
}

function assertNever(value: never): never {
  throw new Error(`unhandled session state: ${JSON.stringify(value)}`);
}
