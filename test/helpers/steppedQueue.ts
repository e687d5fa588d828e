import { HousekeepingQueue } from '../../src/scheduling/index.js';

/**
 * A real HousekeepingQueue whose turns run only when the test says (in place of setImmediate),
 * on a fake monotonic clock that each task may move (`spend`), so the budget is deterministic.
 */
export class SteppedQueue {
  private readonly turns: (() => void)[] = [];
  private nowMs = 0;
  readonly errors: unknown[] = [];
  /** The kind of each failed task, at the same index as `errors`. */
  readonly errorKinds: string[] = [];
  readonly queue: HousekeepingQueue;

  /** `msPerRead`: the fake clock moves this much each time the queue reads it (after each task). */
  constructor(budgetMs = 3, msPerRead = 0) {
    this.queue = new HousekeepingQueue({
      budgetMs,
      now: () => (this.nowMs += msPerRead),
      defer: (turn) => this.turns.push(turn),
      onError: (error, kind) => {
        this.errors.push(error);
        this.errorKinds.push(kind);
      },
    });
  }

  /** Moves the fake clock (a task "takes" this long). */
  spend(ms: number): void {
    this.nowMs += ms;
  }

  /** Turns scheduled and not yet run. */
  get pendingTurns(): number {
    return this.turns.length;
  }

  /** Runs the next scheduled turn; false when none is scheduled. */
  runTurn(): boolean {
    const turn = this.turns.shift();
    turn?.();
    return turn !== undefined;
  }

  /** Runs turns until none is scheduled; returns how many ran. */
  runAll(): number {
    let count = 0;
    while (this.runTurn()) count++;
    return count;
  }
}
