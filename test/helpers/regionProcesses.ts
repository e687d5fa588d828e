import { jwtPattern, makeTempDir, removeDir, startServe } from '../cli/cliProcess.js';
import { documentRedisKeys } from '../../src/sync/redisKeys.js';
import { adminClient } from '../sync/redisTestSupport.js';
import { startRedisInstance, type RedisInstance } from './redisInstance.js';
import { testClusterSecret } from './regionCluster.js';
import { ClusterNode } from './serveCluster.js';
import { eventually } from './yjsClient.js';

/** Short lifecycle timers, so a region's death is seen within seconds (never speed targets). */
export const regionTimers = { heartbeatIntervalMs: 250, nodeTimeoutMs: 1_500, graceMs: 500 } as const;

export interface RegionProcessOptions {
  /** Node name (its `--node-id`) to region, started in this order (the first alone: it prints the token). */
  layout: Record<string, string>;
  /** The shared routing store: the data dir's libSQL file (undefined) or a PostgreSQL URL. */
  dbUrl?: string;
  /** Per node: another `--db-url` for the same store (a cuttable TCP proxy in front of PostgreSQL). */
  dbUrlOf?: Record<string, string>;
  /** Per node: more flags (a fixed `--port`, an `--advertise-url` through a delaying link). */
  argsOf?: Record<string, readonly string[]>;
  /** Default `debug` (tests read the lines); a benchmark passes `warn`. */
  logLevel?: string;
}

/** One `wiresocket serve` process and its region. */
export interface RegionProcess {
  name: string;
  region: string;
  node: ClusterNode;
}

export interface RegionProcesses {
  token: string;
  node(name: string): RegionProcess;
  /** SIGKILL and wait for the exit. */
  kill9(name: string): Promise<void>;
  /** SIGSTOP / SIGCONT: the process is frozen (no heartbeat, sockets kept open) and resumes. */
  pause(name: string): void;
  resume(name: string): void;
  /** Starts a killed node again: same id, flags and port. */
  restart(name: string): Promise<void>;
  /** The node's pino lines, parsed. */
  logsOf(name: string): Record<string, unknown>[];
  /** Keys of the document in a region's Redis (the processes use the default key prefix). */
  redisKeysOf(region: string, docKey: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Regions as real processes: one redis-server per region on a port the test starts, one data
 * dir, and one routing store every node shares. Processes, so a region can die by SIGKILL or
 * freeze by SIGSTOP as it would in production.
 */
export async function startRegionProcesses(options: RegionProcessOptions): Promise<RegionProcesses> {
  const dataDir = await makeTempDir();
  const redis: Record<string, RedisInstance> = {};
  const nodes = new Map<string, RegionProcess>();
  const close = async () => {
    for (const { node } of nodes.values()) {
      if (!node.running) continue;
      node.child.kill('SIGCONT');
      node.child.kill('SIGKILL');
      await node.serveProcess.exited;
    }
    for (const instance of Object.values(redis)) await instance.dispose();
    await removeDir(dataDir);
  };
  try {
    for (const region of new Set(Object.values(options.layout))) redis[region] = await startRedisInstance();
    const start = async (name: string, region: string) => {
      const args = [...nodeArgs(name, region, redis[region].url, dataDir, options.dbUrlOf?.[name] ?? options.dbUrl, options.logLevel ?? 'debug'), ...(options.argsOf?.[name] ?? [])];
      const node = new ClusterNode(name, args, {}, await startServe(args));
      nodes.set(name, { name, region, node });
      await untilReady(node);
    };
    const [first, ...rest] = Object.entries(options.layout);
    await start(...first);
    await Promise.all(rest.map(([name, region]) => start(name, region)));
    const token = nodes.get(first[0])!.node.serveProcess.banner.find((line) => jwtPattern.test(line));
    if (token === undefined) throw new Error('the first node printed no token');
    const node = (name: string) => {
      const found = nodes.get(name);
      if (!found) throw new Error(`no node ${name}`);
      return found;
    };
    return {
      token,
      node,
      kill9: async (name) => {
        node(name).node.child.kill('SIGKILL');
        await node(name).node.serveProcess.exited;
      },
      pause: (name) => void node(name).node.child.kill('SIGSTOP'),
      resume: (name) => void node(name).node.child.kill('SIGCONT'),
      restart: async (name) => {
        const { node: process } = node(name);
        const portGiven = process.args.includes('--port');
        process.replaceProcess(await startServe(portGiven ? process.args : [...process.args, '--port', String(process.port)]));
        await untilReady(process);
      },
      logsOf: (name) => node(name).node.logLines().map((line) => JSON.parse(line) as Record<string, unknown>),
      redisKeysOf: async (region, docKey) => {
        const admin = adminClient(redis[region].port);
        try {
          const base = documentRedisKeys('wiresocket', docKey).state.replace(/:state$/, '');
          return await admin.keys(`${base.replace(/[*?[\]]/g, '\\$&')}*`);
        } finally {
          admin.disconnect();
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A node refuses every connect (4503) until its Redis answers; tests start on a ready one, as a load balancer would. */
function untilReady(node: ClusterNode): Promise<void> {
  const readyz = `${node.url.replace('ws:', 'http:')}/readyz`;
  return eventually(async () => (await fetch(readyz).catch(() => null))?.status === 200, 10_000, `${node.nodeId} ready`);
}

function nodeArgs(name: string, region: string, redisUrl: string, dataDir: string, dbUrl: string | undefined, logLevel: string): string[] {
  return [
    ...['--region', region, '--node-id', name, '--redis-url', redisUrl, '--data-dir', dataDir],
    ...(dbUrl === undefined ? [] : ['--db-url', dbUrl]),
    ...['--cluster-secret', testClusterSecret, '--log-level', logLevel],
    ...['--heartbeat-interval-ms', String(regionTimers.heartbeatIntervalMs), '--node-timeout-ms', String(regionTimers.nodeTimeoutMs)],
    ...['--grace-ms', String(regionTimers.graceMs)],
  ];
}
