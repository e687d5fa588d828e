import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { repeatJittered } from '../scheduling/index.js';
import type { KeyRotation, TenantRegistry } from '../tenancy/index.js';

export interface KeyRotationWatcherOptions {
  tenants: TenantRegistry;
  clock: Clock;
  /** How often the rotation log is read; a rotation takes effect on this node within it. */
  intervalMs: number;
  logger: Logger;
  /** A rotation this node has not seen yet. */
  onRotation: (rotation: KeyRotation) => void;
  /** For the polls' jitter; tests pass a fixed one. */
  random?: () => number;
}

/**
 * Polls the control store's key-rotation log, so `wiresocket apps rotate-key` reaches every
 * node whatever the shape (the CLI may only reach the control store, never Redis or a node).
 * One indexed read per interval per node; a node starts after the newest rotation it finds.
 * Each poll comes 75-100 % of the interval after the last (issue 14), so nodes started together
 * do not read the control store in step; a poll still waiting for the store makes the next skip.
 */
export class KeyRotationWatcher {
  private seen = 0;
  private stopTimer: (() => void) | null = null;
  private polling = false;
  private failing = false;

  constructor(private readonly options: KeyRotationWatcherOptions) {}

  async start(): Promise<void> {
    this.seen = await this.options.tenants.latestKeyRotation();
    const { clock, intervalMs, random } = this.options;
    this.stopTimer = repeatJittered({ clock, intervalMs, random }, () => void this.poll());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  private async poll(): Promise<void> {
    // A slow store must not stack up reads.
    if (this.polling) return;
    this.polling = true;
    try {
      for (const rotation of await this.options.tenants.keyRotationsSince(this.seen)) {
        this.seen = rotation.sequence;
        this.options.onRotation(rotation);
      }
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.logger.warn({ err: error }, 'could not read the key-rotation log; retrying');
      this.failing = true;
    } finally {
      this.polling = false;
    }
  }
}
