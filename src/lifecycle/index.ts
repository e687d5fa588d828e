export {
  nextSessionState,
  InvalidTransitionError,
  type LifecycleState,
  type SessionStateKind,
  type SessionEvent,
  type ArchiveReason,
} from './sessionState.js';
export { SessionLifecycle, type SessionLifecycleOptions } from './sessionLifecycle.js';
