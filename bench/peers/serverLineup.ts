import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisProbe } from '../shared/redisProbe.js';
import { launcher, repoRoot, startServeNode, type ServeNode } from '../shared/serveProcess.js';
import { withDeadline } from '../shared/withDeadline.js';
import type { RunningServer } from '../shared/serverUnderTest.js';
import { hocuspocusDialect, yWebsocketDialect, type WireDialect } from '../shared/wireDialect.js';
import type { ScenarioKey } from './peerBenchPlan.js';
import { startPeer, type PeerScript } from './peerProcess.js';

export interface StartContext {
  /** `taskset -c 0` (or nothing): every server process runs on the server core. */
  commandPrefix: readonly string[];
  redisUrl: string;
  /** A prefix of this start's own, so its Redis keys meet no one else's and are deleted after. */
  redisKeyPrefix: string;
  /** Preload the event-loop probe into wiresocket's processes (the peers always have it). */
  loopProbes?: boolean;
  /** Flags for wiresocket's Redis shapes only, for one load (e.g. `--redis-compact-every-updates 250`). */
  redisServeFlags?: readonly string[];
}

/** One server of the comparison. */
export interface ServerSpec {
  key: string;
  title: string;
  usesRedis: boolean;
  /** The only scenarios it runs (a second dialect of one server needs only its comparison's loads); all when absent. */
  scenarios?: readonly ScenarioKey[];
  start(context: StartContext): Promise<RunningServer>;
}

/**
 * Our server's environment: limits the peers do not have, lifted. One IP opens every socket of
 * a load (a per-IP connect limit would turn a connect storm into rejections), and the ladder's
 * top rungs send more messages per socket than the per-connection rate limit lets through (a
 * writer closed with 4429 mid-ladder would make its later updates look lost).
 */
export const wiresocketBenchEnv = {
  WIRESOCKET_MAX_CONNECTS_PER_IP_PER_MINUTE: '0',
  WIRESOCKET_MAX_MESSAGES_PER_SECOND: '1000000',
  WIRESOCKET_MESSAGE_BURST: '1000000',
} as const;

/** `NAME=value ...` of `wiresocketBenchEnv`, for the report's command lines. */
export function wiresocketBenchEnvLine(): string {
  return Object.entries(wiresocketBenchEnv).map(([name, value]) => `${name}=${value}`).join(' ');
}

/**
 * The dev tenant's document quota during a run. Its default (1,000) is a limit the peers do not
 * have: one server start holds idle's, join's and both storms' documents (~1,150), and the
 * many-documents load 1,000 by itself.
 */
export const benchMaxDocuments = 1_000_000;

/** `wiresocket tenants set ...` as run on the data dir after node A's first start, for the report. */
export function benchTenantCommand(dataDir: string): string[] {
  return [launcher, 'tenants', 'set', 'dev', '--max-documents', String(benchMaxDocuments), '--data-dir', dataDir];
}

/** Short grace: nothing waits on it (each scenario gets a fresh process). */
const graceMs = 1_000;

/** The loads on which wiresocket's Hocuspocus dialect is compared with Hocuspocus (issue 16). */
export const hocuspocusDialectScenarios: readonly ScenarioKey[] = ['hot', 'busy'];

/** The servers in report order: the peers, the ceiling, then ours in its three shapes and its Hocuspocus dialect. */
export async function serverLineup(): Promise<ServerSpec[]> {
  return [
    peerSpec('y-websocket-server', `@y/websocket-server ${await packageVersion('@y/websocket-server')}`, 'yWebsocketServerPeer', yWebsocketDialect, true),
    peerSpec('hocuspocus', `Hocuspocus ${await packageVersion('@hocuspocus/server')}`, 'hocuspocusPeer', hocuspocusDialect, true),
    peerSpec('ws-relay', `bare ws relay (ws ${await packageVersion('ws')})`, 'wsRelayPeer', yWebsocketDialect, false),
    wiresocketSpec('wiresocket', 'wiresocket (memory)', false, 1),
    wiresocketSpec('wiresocket-redis', 'wiresocket (Redis, 1 node)', true, 1),
    wiresocketSpec('wiresocket-redis-2', 'wiresocket (Redis, 2 nodes)', true, 2),
    { ...wiresocketSpec('wiresocket-hocuspocus', 'wiresocket (memory, Hocuspocus dialect)', false, 1, hocuspocusDialect), scenarios: hocuspocusDialectScenarios },
  ];
}

function peerSpec(key: string, title: string, script: PeerScript, dialect: WireDialect, keepsDocuments: boolean): ServerSpec {
  return {
    key,
    title,
    usesRedis: false,
    async start(context) {
      const peer = await startPeer(script, context.commandPrefix);
      // No auth on the peers: no token (Hocuspocus still wants an auth message; it gets an empty token).
      return { writerUrl: peer.url, readerUrls: [peer.url], token: null, dialect, pids: [peer.pid], loopProbes: [peer.loopDelay], redis: null, keepsDocuments, stop: () => peer.stop() };
    },
  };
}

function wiresocketSpec(key: string, title: string, redis: boolean, nodes: 1 | 2, dialect: WireDialect = yWebsocketDialect): ServerSpec {
  return { key, title, usesRedis: redis, start: (context) => startWiresocket(context, redis, nodes, dialect) };
}

/**
 * `wiresocket serve` on a fresh data dir: node A's first start prints the dev/demo token. Two
 * nodes share the data dir (routing store) and Redis; writers go to A, readers to A and B. The
 * Hocuspocus dialect is the same server: its clients connect to `/` (HOCUS-1).
 */
async function startWiresocket(context: StartContext, redis: boolean, nodes: 1 | 2, dialect: WireDialect): Promise<RunningServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'wiresocket-peerbench-'));
  const started: ServeNode[] = [];
  const probe = redis ? new RedisProbe(context.redisUrl) : null;
  const stop = async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
    // Killed sessions leave their keys behind; they are this start's own, so they go.
    if (probe) await probe.removeLeftovers(context.redisKeyPrefix).catch(() => undefined);
    await probe?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const redisOptions = redis ? { redisUrl: context.redisUrl, redisKeyPrefix: context.redisKeyPrefix, extraFlags: context.redisServeFlags ?? [] } : {};
    for (let index = 0; index < nodes; index++) {
      started.push(await startServeNode({ dataDir, ...redisOptions, graceMs, commandPrefix: context.commandPrefix, env: wiresocketBenchEnv, loopProbe: context.loopProbes === true }));
    }
    const token = started[0].token;
    if (!token) throw new Error('the first serve start printed no token');
    // The quota is read from the routing store at each new document: raised here, it holds for both nodes.
    await withDeadline(new Promise<void>((resolve, reject) => execFile(process.execPath, benchTenantCommand(dataDir), { cwd: repoRoot }, (error) => (error ? reject(error) : resolve()))), 15_000, 'tenants set');
    await probe?.connect();
    return { writerUrl: started[0].url, readerUrls: started.map((node) => node.url), token, dialect, pids: started.map((node) => node.pid), loopProbes: started.flatMap((node) => (node.loopDelay ? [node.loopDelay] : [])), redis: probe, keepsDocuments: true, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function packageVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
