import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { jwtPattern, makeTempDir, removeDir, runCli, startServe, type Exit, type ServeProcess } from '../cli/cliProcess.js';
import { withTimeout } from './yjsClient.js';

/** How one node of the cluster is started, on top of the cluster-wide flags. */
export interface ClusterNodeSpec {
  /** Default: `node-<n>-<run id>` (unique per run: the test Redis is shared). */
  nodeId?: string;
  args?: readonly string[];
  env?: Record<string, string>;
}

export interface ServeClusterOptions {
  /** `redis://...` or `redis+cluster://...`; every node gets it. */
  redisUrl: string;
  /** How many nodes (default 3), or one spec per node. */
  nodes?: number | readonly ClusterNodeSpec[];
  /** Flags every node gets, before its own (e.g. `['--grace-ms', '1000']`). */
  args?: readonly string[];
  env?: Record<string, string>;
  logLevel?: string;
}

/**
 * One `wiresocket serve` process of the cluster. After `restart` the same object describes
 * the new process (url, child and pid change), so a test's references stay valid.
 */
export class ClusterNode {
  constructor(
    readonly nodeId: string,
    /** Everything after `serve`, without the port (startServe adds `--port 0`). */
    readonly args: readonly string[],
    readonly env: Record<string, string>,
    private serve: ServeProcess,
  ) {}

  get url(): string {
    return this.serve.url;
  }

  get port(): number {
    return Number(new URL(this.serve.url).port);
  }

  get child(): ChildProcess {
    return this.serve.child;
  }

  get pid(): number {
    const pid = this.serve.child.pid;
    if (pid === undefined) throw new Error(`node ${this.nodeId} has no pid`);
    return pid;
  }

  get running(): boolean {
    return this.serve.child.exitCode === null && this.serve.child.signalCode === null;
  }

  /** Its stdout lines after the banner: pino JSON log lines (at the cluster's log level). */
  logLines(): string[] {
    return this.serve.lines.filter((line) => line.startsWith('{'));
  }

  stderr(): string {
    return this.serve.stderr();
  }

  /** The current process as startServe returned it (banner, every stdout line, exit promise). */
  get serveProcess(): ServeProcess {
    return this.serve;
  }

  /** @internal Swaps in the process that replaced the old one. */
  replaceProcess(serve: ServeProcess): void {
    this.serve = serve;
  }
}

export interface TokenOptions {
  docs?: string;
  readOnly?: boolean;
  ttl?: string;
}

export interface ServeCluster {
  nodes: ClusterNode[];
  dataDir: string;
  redisUrl: string;
  /** The dev/demo token the first node printed on the empty data dir (user `dev-user`). */
  token: string;
  /** A dev/demo token for another user, signed by `wiresocket token` on the shared store. */
  signToken(userId: string, options?: TokenOptions): Promise<string>;
  /** SIGKILL (a crash: no 1012, no unpin, no heartbeat removal) and waits for the exit. */
  kill9(node: ClusterNode): Promise<Exit>;
  /** SIGTERM (graceful shutdown) and waits, bounded, for the exit. */
  stop(node: ClusterNode): Promise<Exit>;
  /** Starts a stopped node again with the same id, flags and (by default) port. */
  restart(node: ClusterNode, options?: { samePort?: boolean }): Promise<ClusterNode>;
  /** Ends every node (SIGKILL, or SIGTERM first when graceful) and removes the data dir; idempotent. */
  stopAll(options?: { graceful?: boolean }): Promise<void>;
}

/** Data dirs of clusters not yet stopped, removed if the test process exits without stopAll. */
const liveClusters = new Set<{ dataDir: string; nodes: ClusterNode[] }>();
let exitHookInstalled = false;

function cleanUpAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A failed or interrupted run must leave no serve process and no temp dir behind.
  process.once('exit', () => {
    for (const cluster of liveClusters) {
      for (const node of cluster.nodes) if (node.running) node.child.kill('SIGKILL');
      rmSync(cluster.dataDir, { recursive: true, force: true });
    }
  });
}

/**
 * Starts the nodes of one cluster: one temporary data dir (its libSQL file is the shared
 * routing store) and one Redis. The first node starts alone because it creates dev/demo on the
 * empty store and prints its token; the others then start together.
 */
export async function startServeCluster(options: ServeClusterOptions): Promise<ServeCluster> {
  const dataDir = await makeTempDir();
  const nodes: ClusterNode[] = [];
  const entry = { dataDir, nodes };
  liveClusters.add(entry);
  cleanUpAtExit();
  const cluster = clusterHandle(dataDir, options.redisUrl, nodes, () => liveClusters.delete(entry));
  try {
    const specs = nodeSpecs(options.nodes ?? 3);
    const shared = sharedArgs(dataDir, options);
    const startOne = (spec: ClusterNodeSpec, index: number) => startNode(spec, index, shared, options.env ?? {});
    const first = await startOne(specs[0], 0);
    nodes.push(first);
    nodes.push(...(await Promise.all(specs.slice(1).map((spec, index) => startOne(spec, index + 1)))));
    cluster.token = bannerToken(first);
    return cluster;
  } catch (error) {
    await cluster.stopAll();
    throw error;
  }
}

function nodeSpecs(nodes: number | readonly ClusterNodeSpec[]): readonly ClusterNodeSpec[] {
  const specs = typeof nodes === 'number' ? Array.from({ length: nodes }, () => ({})) : nodes;
  if (specs.length === 0) throw new Error('a cluster needs at least one node');
  return specs;
}

function sharedArgs(dataDir: string, options: ServeClusterOptions): string[] {
  return ['--data-dir', dataDir, '--redis-url', options.redisUrl, '--log-level', options.logLevel ?? 'warn', ...(options.args ?? [])];
}

const runId = randomBytes(3).toString('hex');

async function startNode(spec: ClusterNodeSpec, index: number, shared: readonly string[], env: Record<string, string>): Promise<ClusterNode> {
  const nodeId = spec.nodeId ?? `node-${index + 1}-${runId}`;
  const args = [...shared, '--node-id', nodeId, ...(spec.args ?? [])];
  const nodeEnv = { ...env, ...spec.env };
  return new ClusterNode(nodeId, args, nodeEnv, await startServe(args, nodeEnv));
}

function bannerToken(first: ClusterNode): string {
  const token = first.serveProcess.banner.find((line) => jwtPattern.test(line));
  if (token === undefined) throw new Error(`the first node printed no token (was the data dir empty?):\n${first.serveProcess.banner.join('\n')}`);
  return token;
}

function clusterHandle(dataDir: string, redisUrl: string, nodes: ClusterNode[], forget: () => void): ServeCluster {
  let stopped = false;
  const cluster: ServeCluster = {
    nodes,
    dataDir,
    redisUrl,
    token: '',
    signToken: (userId, options) => signToken(dataDir, userId, options),
    kill9: (node) => signalAndWait(node, 'SIGKILL'),
    stop: (node) => signalAndWait(node, 'SIGTERM'),
    restart: (node, options) => restartNode(node, options?.samePort ?? true),
    stopAll: async (options) => {
      if (stopped) return;
      stopped = true;
      await Promise.all(nodes.map((node) => endNode(node, options?.graceful ?? false)));
      await removeDir(dataDir);
      forget();
    },
  };
  return cluster;
}

async function signalAndWait(node: ClusterNode, signal: NodeJS.Signals): Promise<Exit> {
  if (!node.running) return node.serveProcess.exited;
  const { code, signal: exitSignal } = await node.serveProcess.stop(signal);
  return { code, signal: exitSignal };
}

/** A graceful stop that hangs is cut with SIGKILL: stopAll must always finish. */
async function endNode(node: ClusterNode, graceful: boolean): Promise<void> {
  if (graceful) {
    try {
      await signalAndWait(node, 'SIGTERM');
      return;
    } catch {
      // Fall through to SIGKILL.
    }
  }
  await signalAndWait(node, 'SIGKILL');
}

async function restartNode(node: ClusterNode, samePort: boolean): Promise<ClusterNode> {
  if (node.running) throw new Error(`node ${node.nodeId} is still running; stop or kill9 it first`);
  const portArgs = samePort && !node.args.includes('--port') ? ['--port', String(node.port)] : [];
  node.replaceProcess(await startServe([...node.args, ...portArgs], node.env));
  return node;
}

async function signToken(dataDir: string, userId: string, options: TokenOptions = {}): Promise<string> {
  const args = ['token', 'dev/demo', '--user', userId, '--data-dir', dataDir];
  if (options.docs !== undefined) args.push('--docs', options.docs);
  if (options.readOnly) args.push('--read-only');
  if (options.ttl !== undefined) args.push('--ttl', options.ttl);
  const result = await runCli(args);
  const token = result.stdout.trim();
  if (result.code !== 0 || !jwtPattern.test(token)) throw new Error(`wiresocket token failed (${result.code}): ${result.stderr}`);
  return token;
}

/** Waits, bounded, until the process with this pid is gone (for "nothing left running" checks). */
export async function waitUntilGone(pid: number, timeoutMs = 5000): Promise<void> {
  const gone = async () => {
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await withTimeout(gone(), timeoutMs, `process ${pid} to exit`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
