import type { Clock, TimerHandle } from '../lifecycle/index.js';
import type { Logger } from '../log.js';
import type { NodeRecord, RoutingTable } from '../routing/index.js';

/** Keeps this node's row in `nodes` fresh so other nodes can tell it is alive. */
export class NodeHeartbeat {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly routing: RoutingTable,
    private readonly node: NodeRecord,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.routing.heartbeat(this.node);
    this.timer = this.clock.setInterval(() => this.beat(), this.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
  }

  private beat(): void {
    this.routing.heartbeat(this.node).catch((error: unknown) => {
      this.logger.warn({ nodeId: this.node.nodeId, err: error }, 'heartbeat failed');
    });
  }
}
