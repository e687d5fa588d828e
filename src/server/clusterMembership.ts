import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { NodeRecord, OrphanedDocument, RoutingTable } from '../routing/index.js';
import { repeatJittered } from '../scheduling/index.js';

/** What the membership reports to the node's sessions. */
export interface MembershipEvents {
  /** Other nodes took this node for dead and deleted its rows: its registrations are void. */
  onReaped(): void;
  /** Documents whose only users were on nodes this node just reaped. */
  onOrphans(orphans: OrphanedDocument[]): void;
  /** The nodes alive right now (this one included). */
  onLiveNodes(nodeIds: ReadonlySet<string>): void;
  /**
   * No heartbeat has been answered for nearly `nodeTimeoutMs`: other regions may take this
   * node's documents over any moment now, so it must stop serving them (issue 15, point 4).
   */
  onLeaseLost(): void;
  /** A heartbeat was answered again after `onLeaseLost`; serving resumes once this resolves (a rejection retries next round). */
  onLeaseRegained(): Promise<void>;
}

export interface ClusterMembershipOptions {
  routing: RoutingTable;
  node: NodeRecord;
  clock: Clock;
  heartbeatIntervalMs: number;
  /** A node silent for longer is dead (`--node-timeout-ms`). */
  nodeTimeoutMs: number;
  events: MembershipEvents;
  logger: Logger;
  /** For the heartbeats' jitter; tests pass a fixed one. */
  random?: () => number;
}

/**
 * This node's part in the cluster, once per heartbeat interval: keep its `nodes` row fresh
 * (noticing when others reaped it), reap nodes that stopped beating so their documents still
 * end, and learn which nodes are alive so a dead node's awareness states can go. Every node
 * reaps; the routing table makes sure each dead node is reaped once.
 *
 * Each round comes 75-100 % of the interval after the last (issue 14): nodes a deploy starts
 * together would otherwise write their rows and reap in step, every interval, for good. Never
 * later than the interval, so `nodeTimeoutMs` means what it did.
 */
export class ClusterMembership {
  private stopTimer: (() => void) | null = null;
  private ticking = false;
  private failing = false;
  private leaseTimer: TimerHandle | null = null;
  private leaseLost = false;
  /** When the last beat answered in time was sent. */
  private leaseFrom = 0;

  constructor(private readonly options: ClusterMembershipOptions) {}

  /** Registers the node (first heartbeat) and starts the periodic round. */
  async start(): Promise<void> {
    const sentAt = this.options.clock.now();
    await this.options.routing.heartbeat(this.options.node);
    this.renewLease(sentAt);
    const { clock, heartbeatIntervalMs, random } = this.options;
    this.stopTimer = repeatJittered({ clock, intervalMs: heartbeatIntervalMs, random }, () => void this.tick());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    if (this.leaseTimer) this.options.clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = null;
  }

  /**
   * The others count this node dead `nodeTimeoutMs` after the beat's row was written, which is
   * after it was sent: stopping half an interval before that, counted from the send, this node
   * has stopped before anyone may take over. A timer of its own, so a store call that hangs (and
   * holds the round) cannot hold it too; on a process resumed after a pause it fires at once.
   */
  private renewLease(sentAt: number): void {
    const { clock } = this.options;
    this.leaseFrom = sentAt;
    if (this.leaseTimer) clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = clock.setTimeout(() => this.loseLease(), Math.max(0, sentAt + this.leaseMs - clock.now()));
  }

  private get leaseMs(): number {
    return this.options.nodeTimeoutMs - this.options.heartbeatIntervalMs / 2;
  }

  private loseLease(): void {
    this.leaseTimer = null;
    if (this.leaseLost) return;
    this.leaseLost = true;
    this.options.events.onLeaseLost();
  }

  /** One round; a round still running (a slow store) makes the next one skip, not pile up. */
  async tick(): Promise<void> {
    // Also here: resumed after a pause, this round's beat may be answered (a local file answers
    // within microtasks) before the lease timer, due as well, gets its turn.
    if (this.options.clock.now() >= this.leaseFrom + this.leaseMs) this.loseLease();
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.round();
      if (this.failing) this.options.logger.info({ nodeId: this.options.node.nodeId }, 'heartbeat works again');
      this.failing = false;
    } catch (error) {
      // One line per outage: the routing store being away is also visible on /readyz.
      if (!this.failing) this.options.logger.warn({ nodeId: this.options.node.nodeId, err: error }, 'heartbeat failed');
      this.failing = true;
    } finally {
      this.ticking = false;
    }
  }

  private async round(): Promise<void> {
    const { routing, node, nodeTimeoutMs, events, logger, clock } = this.options;
    const sentAt = clock.now();
    if (!(await routing.heartbeat(node))) {
      logger.error({ nodeId: node.nodeId }, 'this node was reaped as dead by the others; re-registered, dropping its connections');
      events.onReaped();
    }
    // A beat answered after its own lease ran out proves nothing for now: the next one must.
    if (clock.now() < sentAt + this.leaseMs) {
      if (this.leaseLost) await events.onLeaseRegained();
      this.leaseLost = false;
      this.renewLease(sentAt);
    }
    const reaped = await routing.reapStaleNodes(nodeTimeoutMs, node.nodeId);
    if (reaped.nodeIds.length > 0) {
      logger.warn({ reapedNodes: reaped.nodeIds, orphanedDocuments: reaped.orphans.length, nodeTimeoutMs }, 'reaped nodes that stopped heartbeating');
      events.onOrphans(reaped.orphans);
    }
    events.onLiveNodes(new Set(await routing.liveNodeIds(nodeTimeoutMs)));
  }
}
