import type { Environment } from '../config.js';
import { createLogger, type Logger, type LogLevel } from '../log.js';
import { processSignals, type ShutdownSignals } from './shutdownSignals.js';

/** Where a command writes text: `process.stdout` fits, and so does a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Everything a command takes from its process, handed in so commands run in tests without one:
 * the environment (read in config.ts only), the output streams, the signals `serve` waits for,
 * and the logger factory.
 */
export interface CliIo {
  env: Environment;
  stdout: TextSink;
  stderr: TextSink;
  /** Created when `serve` starts; only `serve` listens for signals. */
  signals: () => ShutdownSignals;
  createLogger: (level: LogLevel) => Logger;
}

/**
 * The real process for whatever the caller did not inject. The environment comes from `main`,
 * the one place besides config.ts that touches `process.env`.
 */
export function processIo(env: Environment, injected: Partial<CliIo> = {}): CliIo {
  return {
    env: injected.env ?? env,
    stdout: injected.stdout ?? process.stdout,
    stderr: injected.stderr ?? process.stderr,
    signals: injected.signals ?? processSignals,
    createLogger: injected.createLogger ?? createLogger,
  };
}
