import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../helpers/yjsClient.js';

/** The package root: this file runs from dist/test/cli/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const launcher = path.join(repoRoot, 'bin', 'wiresocket.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const children = new Set<ChildProcess>();

/**
 * The parent's environment without WIRESOCKET_* variables, plus `extra`: a developer's own
 * settings must not leak into the processes under test.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('WIRESOCKET_')) env[name] = value;
  return { ...env, ...extra };
}

function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [launcher, ...args], { cwd: repoRoot, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs `wiresocket <args>` to completion (bounded) and collects its output. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    const code = await withTimeout(closed, timeoutMs, `wiresocket ${args.join(' ')}`);
    return { code, stdout, stderr };
  } finally {
    child.kill('SIGKILL');
  }
}

/** A `wiresocket serve` child process whose banner has been read. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** The plain-text banner lines (JSON log lines left out). */
  banner: string[];
  /** Every stdout line so far, banner and logs. */
  lines: string[];
  stderr(): string;
  exited: Promise<Exit>;
  /** Sends the signal and waits (bounded) for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit & { elapsedMs: number }>;
}

const bannerServingLine = /^wiresocket serving (ws:\/\/\S+)$/;
const bannerLastLine = /^Get a token: /;

/**
 * Starts `wiresocket serve ...` and resolves once the whole banner is printed. Unless the test
 * names a port (flag or variable), the server takes an ephemeral one.
 */
export async function startServe(args: readonly string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const portGiven = args.includes('--port') || env.WIRESOCKET_PORT !== undefined;
  const child = spawnCli(['serve', ...(portGiven ? [] : ['--port', '0']), ...args], env);
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = exitOf(child);
  const bannerDone = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (bannerLastLine.test(line)) resolve();
    });
    exited.then((exit) => reject(new Error(`serve exited (${exit.code ?? exit.signal}) before its banner: ${stderr}`)));
  });
  try {
    await withTimeout(bannerDone, 30_000, 'the serve banner');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const banner = lines.filter((line) => !line.startsWith('{'));
  // The demo's address may come before it (issue 18).
  const url = banner.map((line) => bannerServingLine.exec(line)?.[1]).find((found) => found !== undefined);
  if (url === undefined) throw new Error(`no URL in the banner: ${banner.join('\n')}`);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const started = Date.now();
    child.kill(signal);
    const exit = await withTimeout(exited, 15_000, 'serve to exit');
    return { ...exit, elapsedMs: Date.now() - started };
  };
  return { child, url, banner, lines, stderr: () => stderr, exited, stop };
}

/** Kills whatever child a test left running (call from `after`). */
export async function killChildren(): Promise<void> {
  const running = [...children];
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map(exitOf));
}

/**
 * A fresh data dir for the enclosing `describe`: made before its tests (then `ready` runs with
 * it), and removed after them, once every child a test left running is killed.
 */
export function useTempDataDir(ready: (dir: string) => void | Promise<void>): void {
  let dir = '';
  before(async () => {
    dir = await makeTempDir();
    await ready(dir);
  });
  after(async () => {
    await killChildren();
    await removeDir(dir);
  });
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'wiresocket-cli-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A port that was free a moment ago (for tests that must name a port rather than use 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export const jwtPattern = /^[\w-]+\.[\w-]+\.[\w-]+$/;
