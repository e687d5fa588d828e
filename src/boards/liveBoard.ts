import type { SessionLifecycle } from '../lifecycle/index.js';
import type { BoardEvent, ElementMutation } from '../storage/index.js';
import type { BoardSession, Participant, SessionType } from './boardSession.js';
import type { BoardState } from './boardState.js';
import { assignColor } from './participantColors.js';

interface LocalParticipant {
  participant: Participant;
  /** Joins not yet matched by a leave (one user, several tabs). */
  joins: number;
}

/**
 * One board's session on this node: its content (`BoardState`), its head sequence, the mutations
 * that wait for a flush, its participants (here and, as other nodes report them, elsewhere) and
 * its lifecycle. Changes to the log run one at a time through `serially`, so this node never races
 * itself for a sequence.
 */
export class LiveBoard {
  sequence: number;
  lastFlush: number;
  /** Logged events not yet written to the elements table, in order. */
  pending: BoardEvent[] = [];
  private readonly local = new Map<string, LocalParticipant>();
  /** Colors of participants who left during this session: a rejoin gets its color back. */
  private readonly pastColors = new Map<string, string>();
  /** Participants other nodes reported, by node. */
  private readonly remote = new Map<string, Map<string, Participant>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly boardKey: string,
    readonly sessionType: SessionType,
    readonly lifecycle: SessionLifecycle,
    readonly state: BoardState,
    sequence: number,
    now: number,
  ) {
    this.sequence = sequence;
    this.lastFlush = now;
  }

  /** Runs `task` after every task queued before it (appends and catch-ups of this board). */
  serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies logged events that continue the head; returns those applied. Events the board already
   * has are skipped; an event past a gap stops the run (the caller catches up from storage).
   */
  applyEvents(events: readonly BoardEvent[]): BoardEvent[] {
    const applied: BoardEvent[] = [];
    for (const event of events) {
      if (event.sequence <= this.sequence) continue;
      if (event.sequence !== this.sequence + 1) break;
      this.state.apply(event);
      this.sequence = event.sequence;
      this.pending.push(event);
      applied.push(event);
    }
    return applied;
  }

  /** Adds a participant (or another tab of one); the participant and whether they are new here. */
  join(userId: string, displayName: string, now: number): { participant: Participant; isNew: boolean } {
    const present = this.local.get(userId);
    if (present) {
      present.joins++;
      return { participant: present.participant, isNew: false };
    }
    const others = this.participants().filter((participant) => participant.userId !== userId);
    const color = assignColor(others.map((participant) => participant.color), this.pastColors.get(userId));
    const participant: Participant = { userId, displayName, color, joinedAt: now };
    this.local.set(userId, { participant, joins: 1 });
    return { participant, isNew: true };
  }

  /** One leave; returns the participant when that was their last tab, else null. */
  leave(userId: string): Participant | null {
    const present = this.local.get(userId);
    if (!present) return null;
    if (--present.joins > 0) return null;
    this.local.delete(userId);
    this.pastColors.set(userId, present.participant.color);
    return present.participant;
  }

  get localCount(): number {
    return this.local.size;
  }

  hasLocal(userId: string): boolean {
    return this.local.has(userId);
  }

  /** A participant another node reported joining (or leaving, with `null`). */
  setRemote(nodeId: string, userId: string, participant: Participant | null): void {
    let ofNode = this.remote.get(nodeId);
    if (!ofNode) this.remote.set(nodeId, (ofNode = new Map()));
    if (participant) ofNode.set(userId, participant);
    else ofNode.delete(userId);
  }

  /** Forgets the participants of nodes not in `liveNodeIds`; returns those forgotten. */
  forgetNodesExcept(liveNodeIds: ReadonlySet<string>): Participant[] {
    const gone: Participant[] = [];
    for (const [nodeId, ofNode] of this.remote) {
      if (liveNodeIds.has(nodeId)) continue;
      gone.push(...ofNode.values());
      this.remote.delete(nodeId);
    }
    return gone;
  }

  /** Everyone on the board: here first, then as other nodes reported (a user once). */
  participants(): Participant[] {
    const all = new Map<string, Participant>();
    for (const { participant } of this.local.values()) all.set(participant.userId, participant);
    for (const ofNode of this.remote.values()) for (const participant of ofNode.values()) if (!all.has(participant.userId)) all.set(participant.userId, participant);
    return [...all.values()];
  }

  /** The spec's `BoardSession`, as a copy: callers cannot change the live session through it. */
  view(): BoardSession {
    const state = this.lifecycle.state;
    return {
      boardId: this.boardKey,
      participants: new Map(this.participants().map((participant) => [participant.userId, { ...participant }])),
      pendingMutations: this.pending.map(({ mutation }): ElementMutation => mutation),
      currentSequence: this.sequence,
      lastFlush: this.lastFlush,
      state: state.kind,
      idleSince: state.kind === 'idle' ? state.idleSince : null,
      sessionType: this.sessionType,
    };
  }
}
