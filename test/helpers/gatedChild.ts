import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A child process started to race another one on a shared resource. */
export interface GatedChild<T> {
  /** The child printed `ready`: it is set up and waits for `go`. */
  ready: Promise<void>;
  /** Sends `go` on its stdin. */
  go(): void;
  /** What it printed (one JSON line), checked by `parse`, once it exited with 0. */
  result: Promise<T>;
  kill(): void;
}

/**
 * Runs `script` (an ES module, given as source) in a child node with `env`. The protocol: the
 * child prints `ready`, waits for `go` on stdin, prints one JSON line and exits 0. Lets a test
 * release several processes at once against one file or database.
 */
export function startGatedChild<T>(script: string, env: Record<string, string>, parse: (printed: unknown) => T): GatedChild<T> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) {
      await exited;
      throw new Error(`the child ended early (exit ${child.exitCode}): ${stderr}`);
    }
    return line.value;
  };
  const ready = nextLine().then((line) => assert.equal(line, 'ready'));
  const result = ready.then(async () => {
    const printed: unknown = JSON.parse(await nextLine());
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    return parse(printed);
  });
  // Keeps an early failure from surfacing as an unhandled rejection before the test awaits it.
  result.catch(() => undefined);
  ready.catch(() => undefined);
  return {
    ready,
    result,
    go: () => child.stdin.end('go\n'),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
