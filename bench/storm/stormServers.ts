import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { wiresocketBenchEnv } from '../peers/serverLineup.js';

/** The package root: this file runs from dist/bench/storm/. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export type StormServerKind = 'wiresocket' | 'y-websocket-server';

export interface StormServerOptions {
  kind: StormServerKind;
  /** Redis for wiresocket's cluster shape (a run-unique key prefix is added). */
  redisUrl?: string;
  /** Node flags for the server process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  nodeFlags?: readonly string[];
}

export interface StormServer {
  url: string;
  token: string | null;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a fresh server process: the peer benchmark's @y/websocket-server script, or wiresocket
 * with the peer benchmark's lifted limits (one IP opens every socket of a storm) and the bin's
 * shebang flag, as `npm start` passes it.
 * Reads where it listens.
 */
export async function startStormServer(options: StormServerOptions): Promise<StormServer> {
  const flags = options.nodeFlags ?? [];
  if (options.kind === 'y-websocket-server') {
    const child = spawn(process.execPath, [...flags, path.join(repoRoot, 'dist/bench/peers/servers/yWebsocketServerPeer.js')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const { url } = await readStart(child, /^peer listening (ws:\/\/\S+)$/);
    return { url, token: null, pid: child.pid ?? -1, stop: () => stop(child) };
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'wiresocket-storm-'));
  const args = ['--max-semi-space-size=16', ...flags, path.join(repoRoot, 'bin/wiresocket.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--grace-ms', '1000'];
  if (options.redisUrl) args.push('--redis-url', options.redisUrl, '--redis-key-prefix', `storm-${process.pid}-${Date.now()}`);
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WIRESOCKET_'))), ...wiresocketBenchEnv };
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const { url, token } = await readStart(child, /^wiresocket serving (ws:\/\/\S+)$/);
  return {
    url,
    token,
    pid: child.pid ?? -1,
    stop: async () => {
      await stop(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function readStart(child: ChildProcess, listening: RegExp): Promise<{ url: string; token: string | null }> {
  return new Promise((resolve, reject) => {
    let url = '';
    let token: string | null = null;
    let tokenNext = false;
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) return void process.stderr.write(`server log: ${line}\n`);
      if (tokenNext) token = line.trim();
      tokenNext = /^Token for \S+ .*:$/.test(line);
      const match = listening.exec(line);
      if (match) url = match[1];
      // The peer's one line, or the last banner line of serve.
      if (url && (listening.source.startsWith('^peer') || line.startsWith('Get a token: '))) resolve({ url, token });
    });
  });
}

/** SIGTERM (serve shuts down gracefully; --cpu-prof writes its profile on exit), SIGKILL after 15 s. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
