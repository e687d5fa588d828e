/** The signals that ask `serve` to stop gracefully. */
export const shutdownSignalNames = ['SIGTERM', 'SIGINT'] as const;

export type ShutdownSignalName = (typeof shutdownSignalNames)[number];

/**
 * How `serve` learns it should stop, and how it ends a process whose shutdown overran.
 * Injectable so the shutdown path runs in a test without sending real signals.
 */
export interface ShutdownSignals {
  /** Resolves with the next SIGTERM or SIGINT received (each call waits for a new one). */
  next(): Promise<ShutdownSignalName>;
  /**
   * Ends the process now. Returning an exit code is not enough when a hung socket or store call
   * still holds the event loop open, which is exactly when the deadline is overrun.
   */
  exit(code: number): void;
  /** Stops listening; the default signal behaviour applies again. */
  dispose(): void;
}

/**
 * The process's real signals. Listening starts at once, so a SIGTERM that arrives while the
 * server is still starting is remembered instead of killing the process mid-migration.
 */
export function processSignals(): ShutdownSignals {
  const received: ShutdownSignalName[] = [];
  const waiting: ((signal: ShutdownSignalName) => void)[] = [];
  const onSignal = (signal: ShutdownSignalName) => {
    const waiter = waiting.shift();
    if (waiter) waiter(signal);
    else received.push(signal);
  };
  for (const name of shutdownSignalNames) process.on(name, onSignal);
  return {
    next: () => {
      const early = received.shift();
      return early ? Promise.resolve(early) : new Promise((resolve) => waiting.push(resolve));
    },
    exit: (code) => process.exit(code),
    dispose: () => {
      for (const name of shutdownSignalNames) process.off(name, onSignal);
    },
  };
}
