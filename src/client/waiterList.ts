/** Promises waiting for one condition (synced, settled), all resolved or all rejected at once. */
export class WaiterList {
  private waiters: Array<{ resolve(): void; reject(error: Error): void }> = [];

  /**
   * A promise for the condition. Marked handled here: an app that calls `connect()` without
   * awaiting it and later `close()`s must not get an unhandled rejection; one that awaits still
   * gets the error.
   */
  wait(): Promise<void> {
    const waiting = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    waiting.catch(() => undefined);
    return waiting;
  }

  resolveAll(): void {
    for (const waiter of this.take()) waiter.resolve();
  }

  rejectAll(error: Error): void {
    for (const waiter of this.take()) waiter.reject(error);
  }

  private take(): Array<{ resolve(): void; reject(error: Error): void }> {
    const taken = this.waiters;
    this.waiters = [];
    return taken;
  }
}
