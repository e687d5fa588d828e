import type { ChildProcess } from 'node:child_process';

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
