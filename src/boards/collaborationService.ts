/**
 * The board service of collaboration-service.md: one session per board per node, participants
 * with palette colors, a sequenced mutation log with delta or full catch-up, flushes by page,
 * snapshots, idle archiving on the shared lifecycle machine.
 *
 * Ordering across nodes: the event log in storage is the sequencer. A batch is validated against
 * this node's copy of the board at head H and appended only if the stored head is still H (the
 * storage's atomic compare-and-append); if another node got there first, this node reads what it
 * missed from storage, validates again and retries. So every board has one gap-free order, every
 * mutation is checked against the state it really follows, and nothing is acknowledged before it
 * is durable. Nodes tell each other what they logged over a BoardBus (Redis pub/sub in a cluster);
 * a node that misses a message notices the gap in the sequence and reads the log instead.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { WiresocketError } from '../errors.js';
import { SessionLifecycle } from '../lifecycle/index.js';
import { silentLogger, type Logger } from '../log.js';
import { housekeeping, type HousekeepingQueue } from '../scheduling/index.js';
import type { BoardElement, BoardEvent, ElementMutation, EventLogStorage } from '../storage/index.js';
import type { BoardBus, BoardBusMessage, BoardBusSubscription } from './boardBus.js';
import { defaultBoardLimits, type BoardLimits } from './boardLimits.js';
import type { BoardSession, JoinResult, Participant, SessionStats, SessionType } from './boardSession.js';
import { checkBatch, type RejectedMutation } from './checkBatch.js';
import { LiveBoard } from './liveBoard.js';
import { loadBoardState } from './loadBoardState.js';
import { validateMutations } from './validateMutations.js';

export interface CollaborationServiceOptions {
  storage: EventLogStorage;
  /** Other nodes serving the same boards; none: this node is alone. */
  bus?: BoardBus;
  /** Names this node on the bus. */
  nodeId?: string;
  clock?: Clock;
  logger?: Logger;
  /** Idle time before an ephemeral session is archived (spec: 5 min). */
  ephemeralIdleTimeoutMs?: number;
  /** ... and a persistent one (spec: 15 min). */
  persistentIdleTimeoutMs?: number;
  /** How often idle sessions are checked (spec: 60 s). */
  sweepIntervalMs?: number;
  /** Pending mutations are flushed this often ... */
  flushIntervalMs?: number;
  /** ... or once this many wait. */
  flushEveryMutations?: number;
  /** A join may catch up by delta over fewer events than this (spec: 1000); else full. */
  deltaWindow?: number;
  /** Events kept per board after a snapshot covers them, for delta catch-up. */
  retainEvents?: number;
  limits?: Partial<BoardLimits>;
  /** Where the cadence flushes and the sweep's archivings wait for their turn; the process's by default. */
  queue?: HousekeepingQueue;
}

export const collaborationDefaults = {
  ephemeralIdleTimeoutMs: 5 * 60_000,
  persistentIdleTimeoutMs: 15 * 60_000,
  sweepIntervalMs: 60_000,
  flushIntervalMs: 1_000,
  flushEveryMutations: 500,
  deltaWindow: 1_000,
  retainEvents: 10_000,
} as const;

/** What the socket layer hears about the boards of this node (server/ fans it out to sockets). */
export interface BoardActivityObserver {
  /** Events logged (here or on another node), contiguous, one user's; `origin` is what the appender passed. */
  mutations(boardKey: string, userId: string, events: readonly BoardEvent[], origin: unknown): void;
  participantJoined(boardKey: string, participant: Participant): void;
  participantLeft(boardKey: string, participant: Participant): void;
  presence(boardKey: string, userId: string, data: unknown, origin: unknown): void;
  /** The session ended (closeSession, shutdown): its sockets should go. */
  sessionClosed(boardKey: string): void;
  /** The session reached `archived` (flushed, and snapshotted if due), with why and its last sequence (webhooks). */
  sessionArchived?(boardKey: string, reason: 'idle-timeout' | 'closed' | 'shutdown', sequence: number): void;
}

/** The result of one batch, for the socket protocol (ack and per-mutation errors). */
export interface BatchOutcome {
  /** The sequence of the batch's last event; the head when nothing was applied. */
  sequence: number;
  /** Events the batch became (none when every mutation was refused, or for a duplicate). */
  events: BoardEvent[];
  rejected: RejectedMutation[];
  /** The batch was stored before (a resend): nothing was applied now. */
  duplicate: boolean;
}

export interface BatchOptions {
  /** Makes a resend idempotent: a batch stored before under (userId, id) is not applied again. */
  clientBatchId?: string;
  /** Passed back to observers with the events (the socket layer skips the sender with it). */
  origin?: unknown;
}

type Entry = { kind: 'opening'; opened: Promise<LiveBoard> } | { kind: 'live'; live: LiveBoard } | { kind: 'ending'; ended: Promise<void> };

/** The periodic work a board gets, as named on the housekeeping queue. */
type BoardChore = 'board-flush' | 'board-idle-check';

/**
 * How long a batch may keep losing the race for the head to other nodes before it fails (4503,
 * the client resends). A loser backs off a little more after each loss, so a node streaming
 * batches to the same board cannot starve the other one: the winner drains, the loser gets in.
 */
const appendDeadlineMs = 10_000;
const conflictBackoffMs = (losses: number) => Math.random() * Math.min(2 ** losses, 50);

export class CollaborationService {
  readonly nodeId: string;
  private readonly storage: EventLogStorage;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly settings: { -readonly [K in keyof typeof collaborationDefaults]: number };
  readonly limits: BoardLimits;
  private readonly entries = new Map<string, Entry>();
  private readonly subscriptions = new Map<string, BoardBusSubscription>();
  private readonly flushes = new Map<LiveBoard, Promise<void>>();
  private readonly observers = new Set<Partial<BoardActivityObserver>>();
  private readonly queue: HousekeepingQueue;
  /** Boards whose chore waits on the queue: a queue running behind gets no second task per board. */
  private readonly queued: Record<BoardChore, Set<LiveBoard>> = { 'board-flush': new Set(), 'board-idle-check': new Set() };
  private readonly timers: TimerHandle[];
  private closed = false;

  constructor(private readonly options: CollaborationServiceOptions) {
    this.storage = options.storage;
    this.nodeId = options.nodeId ?? `node-${randomUUID()}`;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.settings = { ...collaborationDefaults, ...pickNumbers(options, collaborationDefaults) };
    this.limits = { ...defaultBoardLimits, ...pickNumbers(options.limits ?? {}, defaultBoardLimits) };
    this.queue = options.queue ?? housekeeping;
    this.timers = [
      this.clock.setInterval(() => this.queueIdleChecks(), this.settings.sweepIntervalMs),
      this.clock.setInterval(() => this.queueFlushes(), this.settings.flushIntervalMs),
    ];
  }

  /** Hears what happens on this node's boards; returns a function that stops it. */
  observe(observer: Partial<BoardActivityObserver>): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  async joinSession(boardId: string, userId: string, displayName: string, lastSequence?: number, sessionType: SessionType = 'ephemeral'): Promise<JoinResult> {
    const live = await this.liveSession(boardId, sessionType);
    if (!live.hasLocal(userId) && live.localCount >= this.limits.maxParticipants) {
      throw new WiresocketError('BOARD_FULL', `${this.limits.maxParticipants} participants`);
    }
    const { participant, isNew } = live.join(userId, displayName, this.clock.now());
    live.lifecycle.participantJoined();
    if (isNew) this.announceJoin(live, participant);
    const sync = await live.serially(() => this.catchUpFor(live, lastSequence));
    return { session: live.view(), ...sync };
  }

  async leaveSession(boardId: string, userId: string): Promise<void> {
    const live = this.live(boardId);
    if (!live) return;
    const left = live.leave(userId);
    if (left) {
      this.notify((observer) => observer.participantLeft?.(boardId, left));
      this.publish(boardId, { kind: 'participant-left', nodeId: this.nodeId, userId });
    }
    if (live.localCount === 0 && live.lifecycle.state.kind === 'active') live.lifecycle.lastParticipantLeft();
  }

  /**
   * Validates the mutations, logs each as one event with its own sequence and returns the new
   * sequence. All or nothing: if any mutation conflicts with the board (a deleted or missing
   * element) nothing is applied and a MUTATION_CONFLICT error says which (`applyBatch` applies
   * the rest instead, as the socket protocol does).
   */
  async applyMutations(boardId: string, userId: string, mutations: ElementMutation[], options: BatchOptions = {}): Promise<number> {
    const outcome = await this.applyBatch(boardId, userId, mutations, { ...options, allOrNothing: true });
    return outcome.sequence;
  }

  /** One client batch: the mutations that fit the board are logged, the others reported. */
  async applyBatch(boardId: string, userId: string, mutations: unknown, options: BatchOptions & { allOrNothing?: boolean } = {}): Promise<BatchOutcome> {
    const typed = validateMutations(mutations, this.limits);
    const live = this.live(boardId);
    if (!live) throw new WiresocketError('BOARD_SESSION_NOT_FOUND', boardId);
    const outcome = await live.serially(() => this.append(live, userId, typed, options));
    if (live.pending.length >= this.settings.flushEveryMutations) void this.flushQuietly(live);
    return outcome;
  }

  /** Persists the pending mutations' element writes, one storage write per page. */
  async flushPending(boardId: string): Promise<void> {
    const live = this.live(boardId);
    if (live) await this.flush(live);
  }

  async getSessionState(boardId: string): Promise<BoardSession | null> {
    return this.live(boardId)?.view() ?? null;
  }

  getSessionStats(): SessionStats {
    return this.statsOf(() => true);
  }

  /** Stats of the sessions whose board key starts with `prefix` (a tenant's, for /v1/stats). */
  statsOf(matches: (boardKey: string) => boolean): SessionStats {
    const stats: SessionStats = { activeSessions: 0, idleSessions: 0, totalParticipants: 0 };
    for (const entry of this.entries.values()) {
      if (entry.kind !== 'live' || !matches(entry.live.boardKey)) continue;
      const kind = entry.live.lifecycle.state.kind;
      if (kind === 'active') stats.activeSessions++;
      if (kind === 'idle') stats.idleSessions++;
      stats.totalParticipants += entry.live.localCount;
    }
    return stats;
  }

  /** Flushes pending mutations and removes the session (its sockets are told to go). */
  async closeSession(boardId: string): Promise<void> {
    const live = this.live(boardId);
    if (live) await this.end(live, 'closed');
  }

  /** The whole board now: from the session when there is one, else from storage (no session made). */
  async getBoardState(boardId: string): Promise<{ sequence: number; pages: Record<string, BoardElement[]> }> {
    const live = this.live(boardId);
    if (live) return { sequence: live.sequence, pages: live.state.pagesView() };
    const loaded = await loadBoardState(this.storage, boardId);
    return { sequence: loaded.sequence, pages: loaded.state.pagesView() };
  }

  /** Relays presence (cursors, selection) to the board's other participants; never stored. */
  publishPresence(boardId: string, userId: string, data: unknown, origin?: unknown): void {
    this.notify((observer) => observer.presence?.(boardId, userId, data, origin));
    this.publish(boardId, { kind: 'presence', nodeId: this.nodeId, userId, data });
  }

  /** Forgets the participants other nodes reported, for nodes no longer alive. */
  forgetNodesExcept(liveNodeIds: ReadonlySet<string>): void {
    for (const entry of this.entries.values()) {
      if (entry.kind !== 'live') continue;
      for (const gone of entry.live.forgetNodesExcept(liveNodeIds)) this.notify((observer) => observer.participantLeft?.(entry.live.boardKey, gone));
    }
  }

  /** Flushes every session and ends it (graceful shutdown); the storage is the caller's to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) this.clock.clearInterval(timer);
    const endings = [...this.entries.values()].map((entry) => (entry.kind === 'live' ? this.end(entry.live, 'shutdown') : entry.kind === 'ending' ? entry.ended : null));
    await Promise.allSettled(endings);
  }

  // --- sessions -------------------------------------------------------------------------------

  private live(boardId: string): LiveBoard | null {
    const entry = this.entries.get(boardId);
    return entry?.kind === 'live' ? entry.live : null;
  }

  /** The board's session, opened (loaded from storage) if needed; one per board however joins race. */
  private async liveSession(boardId: string, sessionType: SessionType): Promise<LiveBoard> {
    for (;;) {
      if (this.closed) throw new WiresocketError('SERVER_SHUTTING_DOWN');
      const entry = this.entries.get(boardId);
      if (!entry) return this.open(boardId, sessionType);
      if (entry.kind === 'live') return entry.live;
      if (entry.kind === 'ending') await entry.ended;
      else await entry.opened.catch(() => undefined);
    }
  }

  private async open(boardId: string, sessionType: SessionType): Promise<LiveBoard> {
    const opened = this.load(boardId, sessionType);
    this.entries.set(boardId, { kind: 'opening', opened });
    try {
      const live = await opened;
      this.entries.set(boardId, { kind: 'live', live });
      return live;
    } catch (error) {
      this.entries.delete(boardId);
      await this.subscriptions.get(boardId)?.unsubscribe().catch(() => undefined);
      this.subscriptions.delete(boardId);
      throw new WiresocketError('STORE_UNAVAILABLE', `could not load board: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Subscribes first, then loads: what other nodes log meanwhile is either in what the load read
   * or arrives after it (and what arrives twice is skipped by its sequence).
   */
  private async load(boardId: string, sessionType: SessionType): Promise<LiveBoard> {
    const early: BoardBusMessage[] = [];
    let live: LiveBoard | null = null;
    if (this.options.bus) {
      const subscription = await this.options.bus.subscribe(boardId, (message) => (live ? this.onBusMessage(live, message) : early.push(message)));
      this.subscriptions.set(boardId, subscription);
    }
    const loaded = await loadBoardState(this.storage, boardId);
    const lifecycle = new SessionLifecycle({ clock: this.clock, idleTimeoutMs: this.idleTimeoutOf(sessionType) });
    const board = new LiveBoard(boardId, sessionType, lifecycle, loaded.state, loaded.sequence, this.clock.now());
    board.pending.push(...loaded.unflushed);
    live = board;
    for (const message of early) this.onBusMessage(board, message);
    this.logger.info({ boardKey: boardId, sequence: board.sequence, sessionType }, 'board session created');
    return board;
  }

  private idleTimeoutOf(sessionType: SessionType): number {
    return sessionType === 'persistent' ? this.settings.persistentIdleTimeoutMs : this.settings.ephemeralIdleTimeoutMs;
  }

  /** Ends a session: flush (and for an archived persistent one, snapshot), then remove it. */
  private end(live: LiveBoard, reason: 'idle-timeout' | 'closed' | 'shutdown'): Promise<void> {
    const ended = this.archive(live, reason).finally(() => {
      const entry = this.entries.get(live.boardKey);
      if (entry?.kind === 'ending' && entry.ended === ended) this.entries.delete(live.boardKey);
    });
    this.entries.set(live.boardKey, { kind: 'ending', ended });
    return ended;
  }

  private async archive(live: LiveBoard, reason: 'idle-timeout' | 'closed' | 'shutdown'): Promise<void> {
    await live.serially(() => this.flush(live));
    if (reason === 'idle-timeout' && live.sessionType === 'persistent') {
      await this.storage.createSnapshot(live.boardKey, { sequence: live.sequence, pages: live.state.pagesView(), createdAt: this.clock.now() });
      await this.storage.pruneEvents(live.boardKey, this.settings.retainEvents);
    }
    if (reason === 'idle-timeout') live.lifecycle.expire();
    else live.lifecycle.close(reason);
    await this.subscriptions.get(live.boardKey)?.unsubscribe().catch(() => undefined);
    this.subscriptions.delete(live.boardKey);
    this.notify((observer) => observer.sessionClosed?.(live.boardKey));
    this.notify((observer) => observer.sessionArchived?.(live.boardKey, reason, live.sequence));
    this.logger.info({ boardKey: live.boardKey, reason, sequence: live.sequence }, 'board session ended');
  }

  /**
   * The spec's background check, at will: archives the idle sessions past their timeout now and
   * resolves once every archiving under way has ended. (The timer's sweep spreads the same work
   * over the housekeeping queue: `queueIdleChecks`.)
   */
  async archiveIdleSessions(): Promise<void> {
    for (const entry of [...this.entries.values()]) {
      if (entry.kind === 'live' && entry.live.lifecycle.isIdleExpired()) void this.archiveIdle(entry.live);
    }
    await Promise.all([...this.entries.values()].flatMap((entry) => (entry.kind === 'ending' ? [entry.ended.catch(() => undefined)] : [])));
  }

  /**
   * The sweep (every `sweepIntervalMs`): each expired session's archiving (a flush, for a
   * persistent one a snapshot) takes its turn on the housekeeping queue (issue 14), so 1,000
   * boards that went idle together are not all flushed in one turn. The task looks again: a
   * participant may have come back meanwhile.
   */
  private queueIdleChecks(): void {
    for (const entry of this.entries.values()) {
      if (entry.kind === 'live' && entry.live.lifecycle.isIdleExpired()) {
        this.queueChore(entry.live, 'board-idle-check', (live) => {
          if (live.lifecycle.isIdleExpired()) void this.archiveIdle(live);
        });
      }
    }
  }

  private archiveIdle(live: LiveBoard): Promise<void> {
    return this.end(live, 'idle-timeout').catch((error: unknown) => {
      // Kept: the next sweep tries again (the storage may be back by then).
      this.entries.set(live.boardKey, { kind: 'live', live });
      this.logger.warn({ boardKey: live.boardKey, err: error }, 'could not archive an idle board session; retrying at the next sweep');
    });
  }

  // --- the log ----------------------------------------------------------------------------------

  private async append(live: LiveBoard, userId: string, mutations: ElementMutation[], options: BatchOptions & { allOrNothing?: boolean }): Promise<BatchOutcome> {
    const clientBatchId = options.clientBatchId ?? randomUUID();
    const deadline = Date.now() + appendDeadlineMs;
    for (let losses = 0; Date.now() < deadline; losses++) {
      const { accepted, rejected } = checkBatch(live.state, mutations);
      // A resend of a batch stored before can conflict with its own effect (a delete, resent):
      // it is a duplicate, not a refusal. Only looked up when something was refused.
      if (rejected.length > 0 && options.clientBatchId !== undefined) {
        const receipt = await this.storage.findBatch(live.boardKey, userId, options.clientBatchId);
        if (receipt) return this.duplicateOf(live, receipt.lastSequence);
      }
      if (options.allOrNothing && rejected.length > 0) throw conflictError(rejected);
      if (accepted.length === 0) return { sequence: live.sequence, events: [], rejected, duplicate: false };
      const outcome = await this.storage.appendBatch(live.boardKey, { userId, clientBatchId, expectedSequence: live.sequence, mutations: accepted, createdAt: this.clock.now() });
      if (outcome.kind === 'appended') return { sequence: outcome.receipt.lastSequence, events: this.logged(live, userId, accepted, options.origin), rejected, duplicate: false };
      if (outcome.kind === 'duplicate') return this.duplicateOf(live, outcome.receipt.lastSequence);
      await this.catchUp(live);
      if (losses > 0) await new Promise((resolve) => setTimeout(resolve, conflictBackoffMs(losses)));
    }
    throw new WiresocketError('STORE_UNAVAILABLE', `other nodes kept changing the board for ${appendDeadlineMs} ms`);
  }

  /** A batch stored before, maybe by another node (or this one before a restart): catch up to it. */
  private async duplicateOf(live: LiveBoard, lastSequence: number): Promise<BatchOutcome> {
    if (live.sequence < lastSequence) await this.catchUp(live);
    return { sequence: lastSequence, events: [], rejected: [], duplicate: true };
  }

  /** Applies a batch this node just stored, tells local observers and the other nodes. */
  private logged(live: LiveBoard, userId: string, mutations: ElementMutation[], origin: unknown): BoardEvent[] {
    const createdAt = this.clock.now();
    const events = mutations.map((mutation, index) => ({ sequence: live.sequence + 1 + index, userId, mutation, createdAt }));
    live.applyEvents(events);
    this.notify((observer) => observer.mutations?.(live.boardKey, userId, events, origin));
    this.publish(live.boardKey, { kind: 'events', nodeId: this.nodeId, events });
    return events;
  }

  /** Reads from storage what this node missed (another node's appends) and applies it. */
  private async catchUp(live: LiveBoard): Promise<void> {
    for (;;) {
      const events = await this.storage.getEventsSince(live.boardKey, live.sequence, this.settings.deltaWindow);
      this.applyRemote(live, live.applyEvents(events));
      if (events.length < this.settings.deltaWindow) return;
    }
  }

  /** Tells local observers about events logged elsewhere, one message per run of one user's events. */
  private applyRemote(live: LiveBoard, applied: readonly BoardEvent[]): void {
    let start = 0;
    for (let index = 1; index <= applied.length; index++) {
      if (index < applied.length && applied[index].userId === applied[start].userId) continue;
      const run = applied.slice(start, index);
      this.notify((observer) => observer.mutations?.(live.boardKey, run[0].userId, run, null));
      start = index;
    }
  }

  /**
   * Delta when the client's sequence is within the window and the log still holds every event
   * since; full when it is unknown, ahead of the board (restored or lost data), too old, or pruned.
   */
  private async catchUpFor(live: LiveBoard, lastSequence: number | undefined): Promise<Omit<JoinResult, 'session'>> {
    if (lastSequence === undefined || !Number.isInteger(lastSequence) || lastSequence < 0) return { syncType: 'full' };
    const missing = live.sequence - lastSequence;
    if (missing < 0 || missing >= this.settings.deltaWindow) return { syncType: 'full' };
    if (missing === 0) return { syncType: 'delta', missedMutations: [] };
    const events = await this.storage.getEventsSince(live.boardKey, lastSequence, missing);
    const contiguous = events.length === missing && events.every((event, index) => event.sequence === lastSequence + 1 + index);
    if (!contiguous) return { syncType: 'full' };
    return { syncType: 'delta', missedMutations: events.map(({ mutation }) => mutation) };
  }

  private onBusMessage(live: LiveBoard, message: BoardBusMessage): void {
    switch (message.kind) {
      case 'events':
        if (message.events.length === 0) return;
        void live.serially(async () => {
          const applied = live.applyEvents(message.events);
          this.applyRemote(live, applied);
          // Past a gap (a lost message): the log has what is missing.
          if (message.events.at(-1)!.sequence > live.sequence) await this.catchUp(live);
        }).catch((error: unknown) => this.logger.warn({ boardKey: live.boardKey, err: error }, 'could not catch up with the board log'));
        return;
      case 'participant-joined':
        live.setRemote(message.nodeId, message.participant.userId, message.participant);
        this.notify((observer) => observer.participantJoined?.(live.boardKey, message.participant));
        return;
      case 'participant-left':
        this.remoteLeft(live, message.nodeId, message.userId);
        return;
      case 'presence':
        this.notify((observer) => observer.presence?.(live.boardKey, message.userId, message.data, null));
        return;
      case 'resync':
        void live.serially(() => this.catchUp(live)).catch((error: unknown) => this.logger.warn({ boardKey: live.boardKey, err: error }, 'could not catch up with the board log'));
        return;
    }
  }

  private remoteLeft(live: LiveBoard, nodeId: string, userId: string): void {
    const participant = live.participants().find((candidate) => candidate.userId === userId);
    live.setRemote(nodeId, userId, null);
    if (participant && !live.participants().some((candidate) => candidate.userId === userId)) {
      this.notify((observer) => observer.participantLeft?.(live.boardKey, participant));
    }
  }

  private announceJoin(live: LiveBoard, participant: Participant): void {
    this.notify((observer) => observer.participantJoined?.(live.boardKey, participant));
    this.publish(live.boardKey, { kind: 'participant-joined', nodeId: this.nodeId, participant });
  }

  // --- flushing ---------------------------------------------------------------------------------

  /**
   * One flush at a time per board; a request during one waits for it and flushes what came after.
   * With none running it starts in the caller's turn, so a flush run as a housekeeping task does
   * its work (taking the changes, encoding the first page) inside the task's budget.
   */
  private flush(live: LiveBoard): Promise<void> {
    const running = this.flushes.get(live);
    const next = running ? running.then(() => this.flushOnce(live)) : this.flushOnce(live);
    const tracked = next.finally(() => {
      if (this.flushes.get(live) === tracked) this.flushes.delete(live);
    });
    this.flushes.set(live, tracked);
    return tracked;
  }

  private async flushOnce(live: LiveBoard): Promise<void> {
    if (live.pending.length === 0 && !live.state.hasChanges) return;
    const through = live.sequence;
    const changes = live.state.takeChanges();
    const pages = [...changes];
    try {
      for (const [index, [pageId, pageChanges]] of pages.entries()) {
        await this.storage.writePage(live.boardKey, pageId, pageChanges, index === pages.length - 1 ? through : undefined);
      }
    } catch (error) {
      live.state.restoreChanges(changes);
      throw error;
    }
    live.pending = live.pending.filter((event) => event.sequence > through);
    live.lastFlush = this.clock.now();
  }

  /**
   * The cadence (every `flushIntervalMs`): each board with pending mutations gets its flush as a
   * housekeeping-queue task (issue 14), a few boards a turn, instead of every board in this tick.
   * Nothing is lost by the wait: the events are in the log already, and ending a session (archive,
   * closeSession, shutdown) flushes it itself, so a task finding its board gone does nothing.
   */
  private queueFlushes(): void {
    for (const entry of this.entries.values()) {
      if (entry.kind === 'live' && entry.live.pending.length > 0) {
        this.queueChore(entry.live, 'board-flush', (live) => {
          if (live.pending.length > 0) void this.flushQuietly(live);
        });
      }
    }
  }

  /** Runs `chore` on a later turn of the queue, if the session is still this node's live one then. */
  private queueChore(live: LiveBoard, chore: BoardChore, run: (live: LiveBoard) => void): void {
    const waiting = this.queued[chore];
    if (waiting.has(live)) return;
    waiting.add(live);
    this.queue.enqueue(() => {
      waiting.delete(live);
      if (!this.closed && this.live(live.boardKey) === live) run(live);
    }, chore);
  }

  private async flushQuietly(live: LiveBoard): Promise<void> {
    try {
      await this.flush(live);
    } catch (error) {
      // The events are durable in the log already; the next flush (or the next load) writes them.
      this.logger.warn({ boardKey: live.boardKey, err: error }, 'board flush failed; retried at the next cadence');
    }
  }

  // --- plumbing -----------------------------------------------------------------------------------

  private notify(call: (observer: Partial<BoardActivityObserver>) => void): void {
    for (const observer of this.observers) {
      try {
        call(observer);
      } catch (error) {
        this.logger.error({ err: error }, 'a board activity observer threw');
      }
    }
  }

  private publish(boardKey: string, message: BoardBusMessage): void {
    this.options.bus?.publish(boardKey, message).catch((error: unknown) => {
      // Others notice the gap at the next event and read the log; presence is ephemeral.
      this.logger.debug({ boardKey, err: error, kind: message.kind }, 'board bus publish failed');
    });
  }
}

function conflictError(rejected: readonly RejectedMutation[]): WiresocketError {
  const first = rejected[0];
  return new WiresocketError('MUTATION_CONFLICT', `mutation ${first.index}: ${first.rejection.code}`);
}

/** The numeric settings of `options` that `defaults` names and the caller set. */
function pickNumbers<D extends { [K in keyof D]: number }>(options: object, defaults: D): Partial<Record<keyof D, number>> {
  const picked: Partial<Record<keyof D, number>> = {};
  for (const key of Object.keys(defaults) as Array<keyof D>) {
    const value = (options as Partial<Record<keyof D, unknown>>)[key];
    if (typeof value === 'number') picked[key] = value;
  }
  return picked;
}
