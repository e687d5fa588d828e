import { randomUUID } from 'node:crypto';
import { fromStore, WiresocketError } from '../errors.js';
import { claimHopEpoch, fenceVerdict, residencyTarget, type HopClaim, type SuspendedDocument } from '../documents/index.js';
import type { Logger } from '../log.js';
import { RoutingBatcher, type CreationCheck, type DocumentRoute, type RoutingTable } from '../routing/index.js';

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
 * (a row of their own, outside the quota), within the tenant's residency, taken over when that
 * region is gone, and proxied to from other regions, so one region's bus and log order every
 * mutation. Each board socket served here holds an `active_sessions` row, so the pin goes only
 * when no node uses the board any more. Like the document sessions, it serves nothing while the
 * routing store has not answered for `--node-timeout-ms`, and fences what was taken over meanwhile.
 */
export class BoardPlacement {
  private readonly registry: RoutingBatcher;
  /** Boards served here, by board key, with the epoch of the pin they are served under. */
  private readonly served = new Map<string, number>();
  /** The routing store has not answered for `--node-timeout-ms` (issue 15, point 4): no board is served. */
  private routingLost = false;
  /** Boards served when the outage began, checked against their routes when the store is back. */
  private readonly suspended = new Map<string, SuspendedDocument>();
  /** Connection rows whose removal failed (the store was away): removed once it answers. */
  private readonly unremoved = new Set<string>();

  constructor(private readonly options: BoardPlacementOptions) {
    this.registry = new RoutingBatcher(options.routing);
  }

  /**
   * Where a board socket is served. A hop (from another region's edge) only under the pin it
   * names, else HOP_NOT_OWNER; a residency hop (epoch 0) claims the board here. A board nobody
   * holds (or whose region is gone) is claimed here only if the tenant's residency allows this
   * region; else it goes to a live node of an allowed region, and with none the socket gets 1013.
   */
  async place(boardKey: string, tenantId: string, hop: HopClaim | undefined): Promise<BoardPlace> {
    this.checkServing();
    const routeKey = boardRouteKey(boardKey);
    const { region } = this.options;
    const check = await fromStore(() => this.registry.checkCreation(routeKey, tenantId));
    const route = check.route;
    if (hop && hop.epoch !== claimHopEpoch) {
      if (route === null || route.region !== region || route.epoch !== hop.epoch) throw new WiresocketError('HOP_NOT_OWNER', `board pinned to ${route?.region ?? 'no region'}`);
      return this.here(routeKey, route);
    }
    if (route !== null && route.region === region) return this.here(routeKey, route);
    if (route !== null && (await fromStore(() => this.options.regionHasLiveNode(route.region)))) {
      if (hop) throw new WiresocketError('HOP_NOT_OWNER', `board pinned to ${route.region}`);
      return { kind: 'elsewhere', route };
    }
    return this.claim(routeKey, tenantId, check, hop !== undefined);
  }

  /** Nobody's board, or one whose region is gone: claimed here when the residency allows it, else sent to a region that may. */
  private async claim(routeKey: string, tenantId: string, check: CreationCheck, viaHop: boolean): Promise<BoardPlace> {
    const { region, nodeId, routing } = this.options;
    const { allowedRegions } = check;
    if (allowedRegions !== null && !allowedRegions.includes(region)) {
      if (viaHop) throw new WiresocketError('HOP_NOT_OWNER', `the tenant's boards may not be pinned to region ${region}`);
      return { kind: 'elsewhere', route: await fromStore(() => residencyTarget(routeKey, tenantId, allowedRegions, this.options.regionHasLiveNode)) };
    }
    const route = check.route === null ? await fromStore(() => routing.pinBoard({ docKey: routeKey, region, nodeId })) : await this.takeOver(check.route);
    return route.region === region ? this.here(routeKey, route) : { kind: 'elsewhere', route };
  }

  private here(routeKey: string, route: DocumentRoute): BoardPlace {
    this.served.set(routeKey, route.epoch);
    return { kind: 'here', routeKey };
  }

  /** Registers a board socket served here; returns its connection id. */
  async register(routeKey: string, userId: string): Promise<string> {
    const connectionId = randomUUID();
    await fromStore(() => this.registry.addConnection({ connectionId, docKey: routeKey, nodeId: this.options.nodeId, userId }));
    if (this.routingLost) {
      // Placed just before the outage began: it goes the way of the others (suspendAll).
      this.unregister(connectionId);
      this.checkServing();
    }
    return connectionId;
  }

  unregister(connectionId: string): void {
    this.registry.removeConnection(connectionId).catch((error: unknown) => {
      // Left in the store it would keep the board pinned for good: retried once the store answers.
      this.unremoved.add(connectionId);
      this.options.logger.warn({ connectionId, err: error }, 'could not remove a board connection from active_sessions');
    });
  }

  /**
   * The board's session here ended (flushed): its pin goes if no node serves it any more. Only a
   * board this node served under its pin: one suspended by an outage may be another region's now,
   * and its row must not go with this node's session.
   */
  release(boardKey: string): void {
    const routeKey = boardRouteKey(boardKey);
    if (!this.served.delete(routeKey)) return;
    this.unpin(routeKey);
  }

  /**
   * The routing store has not answered for `--node-timeout-ms`: another region may take any board
   * of this one over from now on. Returns the boards served here (their sockets close with 1012,
   * their sessions end); connects are refused with 4503 until `resumeAfterOutage`.
   */
  suspendAll(): string[] {
    this.routingLost = true;
    const boardKeys: string[] = [];
    for (const [routeKey, epoch] of this.served) {
      this.suspended.set(routeKey, { tenantId: '', epoch });
      boardKeys.push(routeKey.slice(boardRouteKey('').length));
    }
    this.served.clear();
    return boardKeys;
  }

  /**
   * The store answers again: the rows the outage left go, and each suspended board is checked
   * against its route. One another region claimed meanwhile (a newer epoch) is fenced: nothing of
   * this node's old session may release or serve it, and its sockets come back through the new
   * owner. One still this region's is released unless a socket came back to it. Rejects (and
   * stays suspended) when the store fails again; the caller retries.
   */
  async resumeAfterOutage(): Promise<void> {
    const removals = [...this.unremoved];
    const suspended = [...this.suspended];
    const [checks] = await Promise.all([
      Promise.all(suspended.map(([routeKey]) => this.registry.checkCreation(routeKey, ''))),
      Promise.all(removals.map((connectionId) => this.registry.removeConnection(connectionId))),
    ]);
    for (const connectionId of removals) this.unremoved.delete(connectionId);
    let fenced = 0;
    suspended.forEach(([routeKey, board], index) => {
      const verdict = fenceVerdict(board, checks[index].route, this.options.region);
      this.suspended.delete(routeKey);
      if (verdict.kind === 'keep') return this.unpin(routeKey);
      fenced++;
      this.options.logger.warn({ docKey: routeKey, heldEpoch: board.epoch, ...verdict.owner }, 'fenced: the board was taken over while this node could not reach the routing store; it is served by its new owner');
    });
    this.routingLost = false;
    this.options.logger.info({ boards: suspended.length, fenced }, 'the routing store answers again; serving boards');
  }

  private checkServing(): void {
    if (this.routingLost) throw new WiresocketError('STORE_UNAVAILABLE', 'the routing store has not answered for --node-timeout-ms');
  }

  private unpin(routeKey: string): void {
    this.options.routing.unpinIfUnused(routeKey).catch((error: unknown) => this.options.logger.warn({ docKey: routeKey, err: error }, 'could not release a board pin'));
  }

  private async takeOver(gone: DocumentRoute): Promise<DocumentRoute> {
    const { region, nodeId, nodeTimeoutMs, routing, logger } = this.options;
    const result = await fromStore(() => routing.takeOverRoute({ docKey: gone.docKey, fromEpoch: gone.epoch, region, nodeId, nodeTimeoutMs }));
    if (result.kind === 'taken') logger.warn({ docKey: gone.docKey, fromRegion: gone.region, region, epoch: result.route.epoch }, 'board taken over from a region with no live node');
    return result.route ?? (await fromStore(() => routing.pinBoard({ docKey: gone.docKey, region, nodeId })));
  }

}
