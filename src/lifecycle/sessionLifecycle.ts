import type { Clock, TimerHandle } from '../clock.js';
import { nextSessionState, type ArchiveReason, type LifecycleState } from './sessionState.js';

export interface SessionLifecycleOptions {
  clock: Clock;
  /** How long a session stays idle before it is archived. */
  idleTimeoutMs: number;
  /**
   * Called once when the idle timeout passes, if the owner wants a precise timer (documents).
   * Owners that sweep instead (boards) leave it out and ask `isIdleExpired()`.
   */
  onIdleTimeout?: () => void;
}

/**
 * One session's lifecycle: the state machine of `sessionState.ts` plus its idle timer. The owner
 * reports participants joining and leaving; the lifecycle decides when the session is idle and,
 * with a precise timer, tells the owner when to archive.
 */
export class SessionLifecycle {
  private current: LifecycleState;
  private idleTimer: TimerHandle | null = null;

  constructor(private readonly options: SessionLifecycleOptions) {
    this.current = { kind: 'created', createdAt: options.clock.now() };
  }

  get state(): LifecycleState {
    return this.current;
  }

  get isArchived(): boolean {
    return this.current.kind === 'archived';
  }

  /** A participant joined (or rejoined within the idle window): cancels a running idle timer. */
  participantJoined(): void {
    this.cancelIdleTimer();
    this.current = nextSessionState(this.current, 'participant-joined', this.options.clock.now());
  }

  /** The last participant left: the session becomes idle and its timeout starts. */
  lastParticipantLeft(): void {
    this.current = nextSessionState(this.current, 'last-participant-left', this.options.clock.now());
    const onTimeout = this.options.onIdleTimeout;
    if (onTimeout) {
      this.idleTimer = this.options.clock.setTimeout(() => {
        this.idleTimer = null;
        onTimeout();
      }, this.options.idleTimeoutMs);
    }
  }

  /** True when the session has been idle for at least the timeout (for sweeps). */
  isIdleExpired(now = this.options.clock.now()): boolean {
    return this.current.kind === 'idle' && now - this.current.idleSince >= this.options.idleTimeoutMs;
  }

  /** idle -> archived because the timeout passed. */
  expire(): void {
    this.cancelIdleTimer();
    this.current = nextSessionState(this.current, 'idle-timeout', this.options.clock.now());
  }

  /** Any live state -> archived on an explicit close (API call or shutdown). */
  close(reason: Exclude<ArchiveReason, 'idle-timeout'> = 'closed'): void {
    this.cancelIdleTimer();
    const next = nextSessionState(this.current, 'close', this.options.clock.now());
    this.current = next.kind === 'archived' ? { ...next, reason } : next;
  }

  private cancelIdleTimer(): void {
    if (this.idleTimer !== null) {
      this.options.clock.clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }
}
