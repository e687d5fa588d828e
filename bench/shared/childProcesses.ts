import type { ChildProcess } from 'node:child_process';
import { BenchUsageError } from './benchFlags.js';

/**
 * Every process the benchmark starts, so none outlives it: a normal end stops them politely,
 * an error, a Ctrl-C or a plain `process.exit` kills whatever is left.
 */
const running = new Set<ChildProcess>();

export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Resolves once the child has exited (at once when it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGKILLs every child still running and waits for them (bounded by the kernel, not by them). */
export async function killAllChildren(): Promise<void> {
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map(exitOf));
}

/**
 * Installs the last-resort handlers once. `exit` handlers cannot wait, so they only send the
 * signal; the kernel reaps the children after that.
 */
export function killChildrenOnExit(): void {
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every process it started\n`);
      void killAllChildren().finally(() => process.exit(130));
    });
  }
}

/** SIGTERM, then SIGKILL when the child has not exited within `timeoutMs`. */
export async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([exitOf(child), deadline]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exitOf(child);
  }
}

/** A run that hangs anyway (a stuck socket, a server that ignores SIGTERM) is still bounded. */
export function armHardLimit(limitMs: number): void {
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${limitMs / 1000} s; killing everything\n`);
    void killAllChildren().finally(() => process.exit(1));
  }, limitMs).unref();
}

/**
 * Runs a benchmark's entry point: its exit code; a bad command line is one line and exit 2; any
 * other error prints its stack, kills every child and exits 1.
 */
export function runBenchmark(main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    async (error: unknown) => {
      if (error instanceof BenchUsageError) {
        process.stderr.write(`bench: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      await killAllChildren();
      process.exitCode = 1;
    },
  );
}
