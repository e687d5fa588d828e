import type { Clock, TimerHandle } from '../clock.js';

export interface ResyncTaskOptions {
  clock: Clock;
  /** One reconciliation; rejects when the sync layer could not be reached. */
  run(): Promise<void>;
  /** False while the session has nobody to serve: the request waits until `resume()`. */
  canRun(): boolean;
  /** A run failed (the task retries by itself); `attempt` counts failures in a row from 1. */
  onFailure(error: unknown, attempt: number): void;
  /** A run succeeded after `failures` failed ones (0 when it worked at once). */
  onSuccess(failures: number): void;
}

/** Backoff between failed runs: quick at first (a blip), then at most every 5 s (an outage). */
export function resyncRetryDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** Math.min(attempt - 1, 5), 5_000);
}

/**
 * Runs a document session's reconciliation with the sync layer. One run at a time; requests
 * that arrive during a run coalesce into one more run after it (the run reads the state afresh,
 * so one is enough for any number of requests); a failed run is retried with backoff until one
 * succeeds or the task is stopped; and while the session has no participant a request waits,
 * since nobody would see the result and a session that ends meanwhile must not write again.
 */
export class ResyncTask {
  private running = false;
  private again = false;
  private deferred = false;
  private stopped = false;
  private failures = 0;
  private retryTimer: TimerHandle | null = null;

  constructor(private readonly options: ResyncTaskOptions) {}

  request(): void {
    if (this.stopped) return;
    if (!this.options.canRun()) {
      this.deferred = true;
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    // A scheduled retry runs soon anyway and reads the state afresh.
    if (this.retryTimer !== null) return;
    void this.runOnce();
  }

  /** The session can be served again: run a request that waited. */
  resume(): void {
    if (!this.deferred) return;
    this.deferred = false;
    this.request();
  }

  /** The session ended: no further run starts. */
  stop(): void {
    this.stopped = true;
    this.deferred = false;
    this.again = false;
    if (this.retryTimer !== null) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async runOnce(): Promise<void> {
    this.running = true;
    this.again = false;
    try {
      await this.options.run();
      const failures = this.failures;
      this.failures = 0;
      this.options.onSuccess(failures);
    } catch (error) {
      this.failures++;
      this.options.onFailure(error, this.failures);
      this.scheduleRetry();
    } finally {
      this.running = false;
    }
    if (this.again && this.retryTimer === null) this.request();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = null;
      this.request();
    }, resyncRetryDelayMs(this.failures));
  }
}
