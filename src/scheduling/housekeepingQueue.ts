import { performance } from 'node:perf_hooks';

/** A piece of periodic work (a compaction merge, a deferred apply, a board's flush, a sweep's slice). */
export type HousekeepingTask = () => void;

/** Told about a task that threw, with the kind its owner gave it (`'board-flush'`, ...). */
export type HousekeepingErrorReporter = (error: unknown, kind: string) => void;

export interface HousekeepingQueueOptions {
  /** Work per turn before the queue yields to I/O (the rest waits for the next turn). */
  budgetMs?: number;
  /** Monotonic milliseconds (performance.now); a test passes a fake one. */
  now?: () => number;
  /** Runs the next turn after pending I/O (setImmediate); a test passes one it steps by hand. */
  defer?: (turn: () => void) => void;
  /** A task threw: the others still run. Used while no reporter is attached (`reportErrorsTo`). */
  onError?: HousekeepingErrorReporter;
}

/** 3 ms: a merge of a few hundred small updates takes 1-3 ms, a turn of sends about as much. */
export const defaultBudgetMs = 3;

/**
 * Periodic work of many objects, run in FIFO order a few milliseconds per event-loop turn
 * (issue 14): 100 documents that reach their compaction threshold in the same second used to
 * compact in the same tick, stalling every socket for 240-360 ms. Here each turn runs tasks
 * until `budgetMs` has passed (at least one task, so a long one still progresses), then yields
 * with `setImmediate`, so the sockets' reads and writes run between turns. Enqueueing never runs
 * a task inline: the caller's turn stays its own.
 *
 * `stop()` drops what is still queued (documented: every task here is housekeeping that a later
 * round redoes or that no longer matters once the owner is gone); `idle()` waits for the queue
 * to empty.
 */
export class HousekeepingQueue {
  private tasks: (HousekeepingTask | undefined)[] = [];
  /** The kind of each task, at the same index (parallel arrays: no object per task). */
  private kinds: string[] = [];
  private head = 0;
  private turnScheduled = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly budgetMs: number;
  private readonly now: () => number;
  private readonly defer: (turn: () => void) => void;
  private readonly onError: HousekeepingErrorReporter;
  /** Attached reporters, newest last; only the newest is told (see `reportErrorsTo`). */
  private readonly reporters: HousekeepingErrorReporter[] = [];
  /** Turns run so far (for tests and metrics). */
  turns = 0;

  constructor(options: HousekeepingQueueOptions = {}) {
    this.budgetMs = options.budgetMs ?? defaultBudgetMs;
    if (!(this.budgetMs > 0)) throw new Error(`housekeeping queue: budgetMs must be positive, got ${this.budgetMs}`);
    this.now = options.now ?? (() => performance.now());
    this.defer = options.defer ?? ((turn) => void setImmediate(turn));
    this.onError = options.onError ?? (() => undefined);
  }

  /** Tasks waiting for a turn. */
  get size(): number {
    return this.tasks.length - this.head;
  }

  /**
   * Queues `task` for a later turn (never inline); ignored once stopped. `kind` names the work
   * (`'compaction-merge'`, `'board-flush'`, ...) for the log line when it throws.
   */
  enqueue(task: HousekeepingTask, kind: string): void {
    if (this.stopped) return;
    this.tasks.push(task);
    this.kinds.push(kind);
    this.scheduleTurn();
  }

  /**
   * Sends the errors of failing tasks to `reporter` until the returned function detaches it.
   * The queue is shared by the process, and so may be every server a process starts (tests, an
   * app embedding two nodes): only the newest attached reporter is told, so a failure is logged
   * once, and when it detaches the one before it takes over again.
   */
  reportErrorsTo(reporter: HousekeepingErrorReporter): () => void {
    this.reporters.push(reporter);
    return () => {
      const index = this.reporters.lastIndexOf(reporter);
      if (index >= 0) this.reporters.splice(index, 1);
    };
  }

  /** Resolves once nothing is queued (at once when empty). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops every queued task and refuses new ones; returns how many were dropped. */
  stop(): number {
    const dropped = this.size;
    this.stopped = true;
    this.tasks = [];
    this.kinds = [];
    this.head = 0;
    this.settleIdle();
    return dropped;
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.defer(() => this.turn());
  }

  private turn(): void {
    this.turnScheduled = false;
    if (this.stopped) return;
    this.turns++;
    const started = this.now();
    do {
      const task = this.tasks[this.head];
      const kind = this.kinds[this.head];
      this.tasks[this.head++] = undefined;
      try {
        task?.();
      } catch (error) {
        this.report(error, kind);
      }
    } while (this.head < this.tasks.length && this.now() - started < this.budgetMs);
    this.compactStorage();
    if (this.size > 0) this.scheduleTurn();
    else this.settleIdle();
  }

  /** A reporter that throws must not end the turn: the tasks after this one still run. */
  private report(error: unknown, kind: string): void {
    try {
      (this.reporters.at(-1) ?? this.onError)(error, kind);
    } catch {
      // Nothing left to tell: the reporter itself is broken.
    }
  }

  /** Drops the run slots once they are most of the array (amortised O(1) per task). */
  private compactStorage(): void {
    if (this.head === this.tasks.length) {
      this.tasks = [];
      this.kinds = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tasks.length) {
      this.tasks = this.tasks.slice(this.head);
      this.kinds = this.kinds.slice(this.head);
      this.head = 0;
    }
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
