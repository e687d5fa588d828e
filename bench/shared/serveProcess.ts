import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exitOf, stopChild, trackChild } from './childProcesses.js';
import { LoopDelayReader, loopProbeFlags } from './loopDelayReader.js';
import { withDeadline } from './withDeadline.js';

/** The package root: this file runs from dist/bench/shared/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const launcher = path.join(repoRoot, 'bin', 'wiresocket.js');

export interface ServeOptions {
  dataDir: string;
  redisUrl?: string;
  /** Redis only: a prefix of the run's own, so its keys cannot meet anyone else's. */
  redisKeyPrefix?: string;
  graceMs: number;
  /** Prepended to the command line, e.g. `taskset -c 0`. */
  commandPrefix: readonly string[];
  /** Environment on top of the caller's (whose WIRESOCKET_* are dropped). */
  env?: Readonly<Record<string, string>>;
  /** Preload the event-loop delay probe (bench/shared/loopDelayProbe.ts), read over IPC. */
  loopProbe?: boolean;
  /** Further serve flags (e.g. `--redis-compact-every-updates 250` for one load). */
  extraFlags?: readonly string[];
}

/** One running `wiresocket serve` child whose banner has been read. */
export interface ServeNode {
  pid: number;
  url: string;
  /** The dev/demo token of a first start on an empty data dir; null on a later start. */
  token: string | null;
  /** The event-loop probe, when started with `loopProbe`. */
  loopDelay: LoopDelayReader | null;
  /** SIGTERM, then SIGKILL if the graceful shutdown takes longer than `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const startTimeoutMs = 15_000;

export function serveArguments(options: ServeOptions): string[] {
  const flags = ['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', options.dataDir, '--log-level', 'warn', '--grace-ms', String(options.graceMs)];
  if (options.redisUrl) flags.push('--redis-url', options.redisUrl);
  if (options.redisUrl && options.redisKeyPrefix) flags.push('--redis-key-prefix', options.redisKeyPrefix);
  flags.push(...(options.extraFlags ?? []));
  return [...options.commandPrefix, process.execPath, ...shebangNodeFlags(), ...serverNodeFlags(), ...(options.loopProbe ? loopProbeFlags() : []), launcher, ...flags];
}

/** The node flags of the bin's shebang (`npm start` passes the same): the server as shipped. */
function shebangNodeFlags(): string[] {
  const firstLine = readFileSync(launcher, 'utf8').split('\n', 1)[0];
  return /^#!\/usr\/bin\/env -S node(.*)$/.exec(firstLine)?.[1].trim().split(/\s+/).filter((flag) => flag.length > 0) ?? [];
}

/**
 * Extra node flags for every server under test (ours and the peers), e.g.
 * `BENCH_SERVER_NODE_FLAGS=--cpu-prof` to profile one under a benchmark's load (node refuses
 * --cpu-prof in NODE_OPTIONS), or the peers with our shebang's flags for comparison.
 */
export function serverNodeFlags(): string[] {
  return (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag.length > 0);
}

/** Starts a serve process and resolves once it listens (its banner is complete). */
export async function startServeNode(options: ServeOptions): Promise<ServeNode> {
  const [command, ...args] = serveArguments(options);
  // WIRESOCKET_* of the caller's shell would silently change the shape under test.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WIRESOCKET_'))), ...options.env };
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: options.loopProbe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const { stdout, stderr: errors } = child;
  if (!stdout || !errors) throw new Error('serve spawned without pipes');
  let stderr = '';
  errors.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  stdout.setEncoding('utf8');
  try {
    const banner = readBanner(stdout);
    const exited = exitOf(child).then(() => {
      throw new Error(`serve exited (${child.exitCode ?? child.signalCode}) before listening: ${stderr}`);
    });
    const { url, token } = await withDeadline(Promise.race([banner, exited]), startTimeoutMs, 'the serve banner');
    return { pid: child.pid ?? -1, url, token, loopDelay: options.loopProbe ? new LoopDelayReader(child) : null, stop: (timeoutMs = 12_000) => stopChild(child, timeoutMs) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Parses the plain-text banner lines (src/cli/serveBanner.ts); JSON log lines start with `{`. */
function readBanner(stdout: NodeJS.ReadableStream): Promise<{ url: string; token: string | null }> {
  return new Promise((resolve) => {
    let url = '';
    let token: string | null = null;
    let tokenNext = false;
    createInterface({ input: stdout }).on('line', (line) => {
      // Warnings the server logs during the run are worth seeing next to the numbers.
      if (line.startsWith('{')) {
        process.stderr.write(`serve log: ${line}\n`);
        return;
      }
      const serving = /^wiresocket serving (ws:\/\/\S+)$/.exec(line);
      if (serving) url = serving[1];
      if (tokenNext) token = line.trim();
      tokenNext = /^Token for \S+ .*:$/.test(line);
      if (/^Get a token: /.test(line)) resolve({ url, token });
    });
  });
}
