import { openControlStores, type ControlStores } from '../../src/routing/controlStores.js';
import type { RoutingOperation, RoutingOperationResult, RoutingTable } from '../../src/routing/routingTable.js';
import { documentRedisKeys } from '../../src/sync/redisKeys.js';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { RedisBoardBus } from '../../src/boards/redisBoardBus.js';
import type { Logger } from '../../src/log.js';
import { captureLogger, type CapturedLogs } from './captureLogger.js';
import { startRedisInstance, type RedisInstance } from './redisInstance.js';
import { startTestServer, type TestServer } from './testServer.js';
import { eventually } from './yjsClient.js';
import { adminClient } from '../sync/redisTestSupport.js';

export const testClusterSecret = 'test-cluster-secret-0123456789abcdef';

export interface RegionNode {
  name: string;
  region: string;
  server: TestServer;
  logs: CapturedLogs;
}

export interface RegionCluster {
  nodes: RegionNode[];
  redis: Record<string, RedisInstance>;
  keyPrefix: string;
  node(name: string): RegionNode;
  /** Starts one more node of a region on the same routing store (its own logs, options; a new region gets its own Redis). */
  addNode(name: string, region: string, options?: NodeOptions): Promise<RegionNode>;
  /** Keys of the document in a region's Redis. */
  redisKeysOf(region: string, docKey: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface NodeOptions {
  clusterSecret?: string | null;
  /** `--advertise-url` (e.g. a delaying TCP proxy in front of the node). */
  advertiseUrl?: string;
  /** Wraps the node's routing table (a stale store read, a fault). */
  wrapRouting?: (routing: RoutingTable) => RoutingTable;
}

/**
 * Two or more regions on loopback: in-process servers, one real redis-server per region on a
 * port the test starts, and one shared routing store: the first node's libSQL file, or `dbUrl`
 * (PostgreSQL) for every node.
 */
export async function startRegionCluster(layout: Record<string, string>, regions: readonly string[], dbUrl?: string): Promise<RegionCluster> {
  const redis: Record<string, RedisInstance> = {};
  for (const region of regions) redis[region] = await startRedisInstance();
  const keyPrefix = `regions-${Math.random().toString(36).slice(2)}`;
  const nodes: RegionNode[] = [];
  const addNode = async (name: string, region: string, options: NodeOptions = {}): Promise<RegionNode> => {
    redis[region] ??= await startRedisInstance();
    const logs = captureLogger('debug');
    let layer: RedisSyncLayer | undefined;
    const secret = options.clusterSecret === null ? undefined : (options.clusterSecret ?? testClusterSecret);
    const server = await startTestServer({
      config: {
        region,
        nodeId: name,
        clusterSecret: secret,
        advertiseUrl: options.advertiseUrl,
        graceMs: 500,
        heartbeatIntervalMs: 200,
        nodeTimeoutMs: 2_000,
        ...(dbUrl === undefined ? {} : { dbUrl }),
      },
      createSyncLayer: (nodeId) => (layer = new RedisSyncLayer({ nodeId, url: redis[region].url, keyPrefix })),
      // A region's board bus is its own Redis too: boards are live within one region only.
      createBoardBus: (nodeId) => new RedisBoardBus({ nodeId, url: redis[region].url, keyPrefix }),
      shareWith: nodes[0]?.server,
      logger: logs.logger as Logger,
      openControlStores: options.wrapRouting ? (url) => wrappedStores(url, options.wrapRouting!) : undefined,
    });
    const node = { name, region, server, logs };
    nodes.push(node);
    // A node whose Redis connection is not up yet refuses every connect with 4503, even one it
    // would only proxy: tests start on a node that is ready, as a load balancer would.
    await eventually(() => layer?.reachable === true, 5_000, `node ${name} reaches its Redis`);
    return node;
  };
  try {
    for (const [name, region] of Object.entries(layout)) await addNode(name, region);
  } catch (error) {
    await closeAll(nodes, redis);
    throw error;
  }
  return {
    nodes,
    redis,
    keyPrefix,
    addNode,
    node: (name) => {
      const found = nodes.find((node) => node.name === name);
      if (!found) throw new Error(`no node ${name}`);
      return found;
    },
    redisKeysOf: async (region, docKey) => {
      const admin = adminClient(redis[region].port);
      try {
        const base = documentRedisKeys(keyPrefix, docKey).state.replace(/:state$/, '');
        return await admin.keys(`${base.replace(/[*?[\]]/g, '\\$&')}*`);
      } finally {
        admin.disconnect();
      }
    },
    close: () => closeAll(nodes, redis),
  };
}

async function closeAll(nodes: RegionNode[], redis: Record<string, RedisInstance>): Promise<void> {
  // The first node owns the shared data dir: it goes last.
  for (const node of [...nodes].reverse()) await node.server.close().catch(() => undefined);
  for (const instance of Object.values(redis)) await instance.dispose();
}

async function wrappedStores(url: string, wrap: (routing: RoutingTable) => RoutingTable): Promise<ControlStores> {
  const stores = await openControlStores({ url });
  return { ...stores, routing: wrap(stores.routing), close: () => stores.close() };
}

/**
 * A routing table whose next creation check of `docKey` answers its route one epoch behind, as
 * a stale read (a replica, a cache) would after the document was claimed again.
 */
export function staleOnce(docKey: string): (routing: RoutingTable) => RoutingTable {
  let pending = true;
  return (routing) =>
    new Proxy(routing, {
      get(target, property, receiver) {
        if (property !== 'runBatch') return Reflect.get(target, property, receiver);
        return async (operations: readonly RoutingOperation[]): Promise<RoutingOperationResult[]> => {
          const results = await target.runBatch(operations);
          return results.map((result) => {
            if (!pending || result.kind !== 'creation-check' || result.check.route?.docKey !== docKey) return result;
            pending = false;
            return { ...result, check: { ...result.check, route: { ...result.check.route, epoch: result.check.route.epoch - 1 } } };
          });
        };
      },
    });
}
