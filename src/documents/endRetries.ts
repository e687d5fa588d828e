import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { DocumentEndReason } from './documentHooks.js';

export interface EndRetriesOptions {
  clock: Clock;
  logger: Logger;
  /** Announces the end again; resolves once nothing is left to retry, rejects to be retried later. */
  retry: (docKey: string, reason: DocumentEndReason) => Promise<void>;
  /** First wait; each failure doubles it, up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

interface Pending {
  timer: TimerHandle;
  attempt: number;
  reason: DocumentEndReason;
}

/**
 * Ended documents whose end could not be announced (the archive failed): their sync-layer state
 * is kept and the announcement is retried with a growing delay until it succeeds, the document
 * is live again, or this node stops (then the state stays under the sync layer's safety TTL,
 * and the log says so for each document).
 */
export class EndRetries {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: EndRetriesOptions) {}

  get size(): number {
    return this.pending.size;
  }

  schedule(docKey: string, reason: DocumentEndReason, attempt = 1): void {
    this.cancel(docKey);
    const { firstDelayMs = 1_000, maxDelayMs = 60_000 } = this.options;
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
    const timer = this.options.clock.setTimeout(() => void this.run(docKey), delay);
    this.pending.set(docKey, { timer, attempt, reason });
  }

  cancel(docKey: string): void {
    const entry = this.pending.get(docKey);
    if (!entry) return;
    this.options.clock.clearTimeout(entry.timer);
    this.pending.delete(docKey);
  }

  /** Shutdown: nothing is retried any more; what is left stays in the sync layer. */
  stop(): void {
    for (const [docKey, { timer, attempt }] of this.pending) {
      this.options.clock.clearTimeout(timer);
      this.options.logger.error({ docKey, attempts: attempt }, 'stopping with a document end still unannounced: its final state stays only in the sync layer, under its safety TTL');
    }
    this.pending.clear();
  }

  private async run(docKey: string): Promise<void> {
    const entry = this.pending.get(docKey);
    if (!entry) return;
    try {
      await this.options.retry(docKey, entry.reason);
      if (this.pending.get(docKey) === entry) this.pending.delete(docKey);
      this.options.logger.info({ docKey, attempts: entry.attempt + 1 }, 'document end announced after a retry');
    } catch (error) {
      if (this.pending.get(docKey) !== entry) return;
      this.options.logger.warn({ docKey, attempt: entry.attempt, err: error }, 'announcing a document end failed again; retrying');
      this.schedule(docKey, entry.reason, entry.attempt + 1);
    }
  }
}
