import type { NodeRecord, RoutingTable } from '../routing/index.js';

export interface RegionDirectoryOptions {
  routing: RoutingTable;
  /** A node whose heartbeat is older is not offered (`--node-timeout-ms`). */
  nodeTimeoutMs: number;
  /** How long one read of the live nodes serves later lookups (connect storms read the store once). */
  cacheMs: number;
  now?: () => number;
  random?: () => number;
}

/**
 * Which live nodes each region has, from the `nodes` heartbeats: the proxy's target and the
 * route lookup's `url`. A read serves lookups for `cacheMs`; `fresh` skips it (a retry after a
 * target that did not answer).
 */
export class RegionDirectory {
  private cached: { nodes: NodeRecord[]; readAt: number } | null = null;
  private reading: Promise<NodeRecord[]> | null = null;

  constructor(private readonly options: RegionDirectoryOptions) {}

  /** A live node of the region, picked at random to spread the region's proxied sockets; null when none. */
  async liveNodeOf(region: string, fresh = false): Promise<NodeRecord | null> {
    const candidates = (await this.liveNodes(fresh)).filter((node) => node.region === region);
    if (candidates.length === 0) return null;
    const random = this.options.random ?? Math.random;
    return candidates[Math.floor(random() * candidates.length)] ?? candidates[0];
  }

  /** Regions with a live node other than `region` (the start-up check of a node without a cluster secret). */
  async otherRegions(region: string): Promise<string[]> {
    return [...new Set((await this.liveNodes(true)).map((node) => node.region))].filter((other) => other !== region).sort();
  }

  private async liveNodes(fresh: boolean): Promise<NodeRecord[]> {
    const now = (this.options.now ?? Date.now)();
    if (!fresh && this.cached && now - this.cached.readAt < this.options.cacheMs) return this.cached.nodes;
    // Concurrent lookups share one read.
    this.reading ??= this.options.routing
      .liveNodes(this.options.nodeTimeoutMs)
      .then((nodes) => {
        this.cached = { nodes, readAt: now };
        return nodes;
      })
      .finally(() => (this.reading = null));
    return this.reading;
  }
}
