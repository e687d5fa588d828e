import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { repeatJittered } from '../scheduling/index.js';
import type { WebhookStore } from './webhookStore.js';

/**
 * Which apps have enabled endpoints for which event types, read from the store every
 * `refreshMs`: the producers ask it before they build an event (a final state, a state vector),
 * so an app without webhooks costs no store call and no encoding. An endpoint added meanwhile is
 * seen within one refresh.
 */
export class SubscriptionCache {
  /** `tenant\0app` to the types subscribed, or null for all of them. */
  private byApp = new Map<string, Set<string> | null>();
  private stopRefresh: (() => void) | null = null;
  private refreshing = false;
  private failing = false;

  constructor(
    private readonly store: WebhookStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly refreshMs: number,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.stopRefresh = repeatJittered({ clock: this.clock, intervalMs: this.refreshMs }, () => void this.refresh());
  }

  stop(): void {
    this.stopRefresh?.();
    this.stopRefresh = null;
  }

  wants(tenantId: string, appId: string, type: string): boolean {
    const types = this.byApp.get(`${tenantId}\u0000${appId}`);
    return types === null || (types !== undefined && types.has(type));
  }

  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const next = new Map<string, Set<string> | null>();
      for (const { tenantId, appId, events } of await this.store.subscriptions()) {
        const key = `${tenantId}\u0000${appId}`;
        const known = next.get(key);
        if (known === null) continue;
        if (events === null) next.set(key, null);
        else next.set(key, new Set([...(known ?? []), ...events]));
      }
      this.byApp = next;
      this.failing = false;
    } catch (error) {
      // The last known subscriptions stay in force until the store answers again.
      if (!this.failing) this.logger.warn({ err: error }, 'could not read the webhook subscriptions; keeping the last ones');
      this.failing = true;
    } finally {
      this.refreshing = false;
    }
  }
}
