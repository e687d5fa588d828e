import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../cli/cliProcess.js';
import { redisAnswers } from '../sync/redisTestSupport.js';
import { killAndWait } from './redisCluster.js';

/** A stuck redis-server must fail the test, not hang it. */
const startTimeoutMs = 10_000;

export interface RedisInstanceOptions {
  /**
   * 'none' (default): nothing survives a stop. 'aof': every write is fsynced to an append-only
   * file in the instance's temp dir before Redis replies, so a SIGKILL loses no acknowledged write.
   */
  persistence?: 'none' | 'aof';
}

export type RedisStopMode = 'kill' | 'shutdown-nosave';

/** A redis-server owned by one test: it may be stopped and started again on the same port. */
export interface RedisInstance {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  readonly running: boolean;
  /** Starts it again on the same port (with the AOF, what was written before the stop). */
  start(): Promise<void>;
  /** SIGKILL (default: a crash) or SHUTDOWN NOSAVE (a clean exit that writes no RDB), then waits for the exit. */
  stop(mode?: RedisStopMode): Promise<void>;
  /** Stops it and removes its temp dir; idempotent, safe in `after`. */
  dispose(): Promise<void>;
}

/** Instances not yet disposed, killed (and their dirs removed) if the test process exits first. */
const live = new Set<{ dir: string; child: () => ChildProcess | null }>();
let exitHookInstalled = false;

function cleanUpAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const instance of live) {
      instance.child()?.kill('SIGKILL');
      rmSync(instance.dir, { recursive: true, force: true });
    }
  });
}

/** Starts a redis-server from the installed binary on a free loopback port, in a temp dir. */
export async function startRedisInstance(options: RedisInstanceOptions = {}): Promise<RedisInstance> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-redis-'));
  const port = await freePort();
  const args = serverArgs(dir, port, options.persistence ?? 'none');
  let child: ChildProcess | null = null;
  const entry = { dir, child: () => child };
  live.add(entry);
  cleanUpAtExit();
  let disposed = false;
  const instance: RedisInstance = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    start: async () => {
      if (instance.running) throw new Error(`redis on ${port} is already running`);
      child = await spawnServer(args, port);
    },
    stop: async (mode = 'kill') => {
      if (child !== null) await stopServer(child, port, mode);
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      if (child !== null) await killAndWait(child);
      await rm(dir, { recursive: true, force: true });
      live.delete(entry);
    },
  };
  try {
    await instance.start();
    return instance;
  } catch (error) {
    await instance.dispose();
    throw error;
  }
}

function serverArgs(dir: string, port: number, persistence: 'none' | 'aof'): string[] {
  const durability = persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  // No RDB snapshots either way: a restart must show only what the AOF (or nothing) kept.
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...durability, '--loglevel', 'warning'];
}

async function spawnServer(args: readonly string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A missing binary shows as Redis never answering; an unhandled 'error' would crash the run.
  child.on('error', (error) => (stderr += String(error)));
  const deadline = Date.now() + startTimeoutMs;
  while (!(await redisAnswers(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await killAndWait(child);
      throw new Error(`redis-server on ${port} did not start: ${stderr || 'no answer to PING'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

async function stopServer(child: ChildProcess, port: number, mode: RedisStopMode): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (mode === 'kill') return killAndWait(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // redis-cli reports an error when the server drops the connection on SHUTDOWN; the exit is what counts.
  await promisify(execFile)('redis-cli', ['-p', String(port), 'shutdown', 'nosave'], { timeout: startTimeoutMs }).catch(() => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), startTimeoutMs);
  await exited.finally(() => clearTimeout(timer));
}
