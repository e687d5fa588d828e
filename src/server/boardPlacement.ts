import { randomUUID } from 'node:crypto';
import { WiresocketError } from '../errors.js';
import type { HopClaim } from '../documents/index.js';
import type { Logger } from '../log.js';
import { RoutingBatcher, type DocumentRoute, type RoutingTable } from '../routing/index.js';

export interface BoardPlacementOptions {
  routing: RoutingTable;
  region: string;
  nodeId: string;
  /** A node silent for longer is dead (`--node-timeout-ms`): a region with none alive may be taken over. */
  nodeTimeoutMs: number;
  regionHasLiveNode: (region: string) => Promise<boolean>;
  logger: Logger;
}

export type BoardPlace = { kind: 'here'; routeKey: string } | { kind: 'elsewhere'; route: DocumentRoute };

/**
 * A board's routing key: its own row beside the documents' (issue 15, point 3). `#` is in no
 * tenant id, so no document key ever equals it.
 */
export function boardRouteKey(boardKey: string): string {
  return `board#${boardKey}`;
}

/**
 * Where boards live across regions: pinned like documents to the region of their first connect
 * (a row of their own, outside the quota), taken over when that region is gone, and proxied to
 * from other regions, so one region's bus and log order every mutation. Each board socket served
 * here holds an `active_sessions` row, so the pin goes only when no node uses the board any more.
 */
export class BoardPlacement {
  private readonly registry: RoutingBatcher;

  constructor(private readonly options: BoardPlacementOptions) {
    this.registry = new RoutingBatcher(options.routing);
  }

  /** Where a board socket is served; a hop (from another region's edge) only under the pin it names, else HOP_NOT_OWNER. */
  async place(boardKey: string, hop: HopClaim | undefined): Promise<BoardPlace> {
    const routeKey = boardRouteKey(boardKey);
    const { routing, region } = this.options;
    let route = await this.store(() => routing.getRoute(routeKey));
    if (hop) {
      if (route === null || route.region !== region || route.epoch !== hop.epoch) throw new WiresocketError('HOP_NOT_OWNER', `board pinned to ${route?.region ?? 'no region'}`);
      return { kind: 'here', routeKey };
    }
    if (route === null) route = await this.store(() => routing.pinBoard({ docKey: routeKey, region, nodeId: this.options.nodeId }));
    else if (route.region !== region && !(await this.store(() => this.options.regionHasLiveNode(route!.region)))) route = await this.takeOver(route);
    return route.region === region ? { kind: 'here', routeKey } : { kind: 'elsewhere', route };
  }

  /** Registers a board socket served here; returns its connection id. */
  async register(routeKey: string, userId: string): Promise<string> {
    const connectionId = randomUUID();
    await this.store(() => this.registry.addConnection({ connectionId, docKey: routeKey, nodeId: this.options.nodeId, userId }));
    return connectionId;
  }

  unregister(connectionId: string): void {
    this.registry.removeConnection(connectionId).catch((error: unknown) => this.options.logger.warn({ connectionId, err: error }, 'could not remove a board connection from active_sessions'));
  }

  /** The board's session here ended (flushed): its pin goes if no node serves it any more. */
  release(boardKey: string): void {
    this.options.routing.unpinIfUnused(boardRouteKey(boardKey)).catch((error: unknown) => this.options.logger.warn({ boardKey, err: error }, 'could not release a board pin'));
  }

  private async takeOver(gone: DocumentRoute): Promise<DocumentRoute> {
    const { region, nodeId, nodeTimeoutMs, routing, logger } = this.options;
    const result = await this.store(() => routing.takeOverRoute({ docKey: gone.docKey, fromEpoch: gone.epoch, region, nodeId, nodeTimeoutMs }));
    if (result.kind === 'taken') logger.warn({ docKey: gone.docKey, fromRegion: gone.region, region, epoch: result.route.epoch }, 'board taken over from a region with no live node');
    return result.route ?? (await this.store(() => routing.pinBoard({ docKey: gone.docKey, region, nodeId })));
  }

  private async store<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WiresocketError) throw error;
      throw new WiresocketError('STORE_UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
}
