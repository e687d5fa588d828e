export { systemClock, type Clock, type TimerHandle } from './clock.js';
export {
  nextSessionState,
  InvalidTransitionError,
  type LifecycleState,
  type SessionStateKind,
  type SessionEvent,
  type ArchiveReason,
} from './sessionState.js';
export { SessionLifecycle, type SessionLifecycleOptions } from './sessionLifecycle.js';
