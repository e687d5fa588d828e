import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Everything the helper does is bounded: a stuck redis-server must fail the run, not hang it. */
const startTimeoutMs = 20_000;

export interface RedisClusterNode {
  port: number;
  /** The node's process id (a test may stop one node to simulate its loss). */
  process: ChildProcess;
}

export interface RedisCluster {
  nodes: RedisClusterNode[];
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` */
  url: string;
  /** Kills every node and removes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** A port the OS just handed out (and took back); good enough for a local test cluster. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Nodes still running, killed when the test process exits without having stopped them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLeftoversAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A failed or interrupted run must not leave redis-server processes behind.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function startNode(dir: string, port: number, busPort: number): ChildProcess {
  const args = [
    '--port', String(port),
    // An explicit bus port: the default (port + 10000) may be taken or above 65535.
    '--cluster-port', String(busPort),
    '--cluster-enabled', 'yes',
    '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout', '2000',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--bind', '127.0.0.1',
    '--loglevel', 'warning',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  // A missing binary shows as the node never answering; an unhandled 'error' would crash the run.
  child.on('error', () => undefined);
  running.add(child);
  child.once('exit', () => running.delete(child));
  killLeftoversAtExit();
  return child;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: startTimeoutMs });
  return stdout;
}

async function waitFor(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not up yet; try again until the deadline.
    }
    if (Date.now() > deadline) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts a 3-master Redis Cluster (no replicas) from the `redis-server` binary on free local
 * ports, in a temporary directory, and waits until every node reports `cluster_state:ok`.
 * Callers must `stop()` it in `after`, also when a test failed.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wiresocket-redis-cluster-'));
  const nodes: RedisClusterNode[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map(({ process: child }) => killAndWait(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = await distinctFreePorts(masters * 2);
    for (let index = 0; index < masters; index++) {
      nodes.push({ port: ports[index], process: startNode(dir, ports[index], ports[masters + index]) });
    }
    const deadline = Date.now() + startTimeoutMs;
    for (const { port } of nodes) await waitFor(`node ${port}`, deadline, async () => (await cli(port, 'ping')).trim() === 'PONG');
    const addresses = nodes.map(({ port }) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: startTimeoutMs });
    for (const { port } of nodes) {
      await waitFor(`cluster_state:ok on ${port}`, deadline, async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'));
    }
    return { nodes, url: `redis+cluster://${addresses.join(',')}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Stops one process (SIGKILL: the test cluster keeps nothing worth a clean shutdown). */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
