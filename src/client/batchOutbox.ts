import type { ClientSocket } from './clientSocket.js';
import type { PendingBatch, PendingBatches } from './pendingBatches.js';
import { reconnectDelay, type ReconnectDelays } from './reconnectPolicy.js';

/** Waits between resends of a rate-limited batch (the server refills at its batches-per-second). */
const rateLimitDelays: ReconnectDelays = { minDelayMs: 250, maxDelayMs: 5_000 };

/**
 * Sends the unacknowledged batches that wait, in the order the app made them. After a
 * RATE_LIMITED refusal nothing more goes out until a wait is over, so batches keep their order as
 * far as the server lets them.
 */
export class BatchOutbox {
  private pauseTimer: ReturnType<typeof setTimeout> | null = null;
  /** Rate limits in a row: each makes the next wait longer. */
  private streak = 0;

  constructor(private readonly pending: PendingBatches) {}

  /** Sends what waits on `socket`; a resend carries `resend: true` and the same clientBatchId. */
  flush(socket: ClientSocket, connection: number): void {
    if (this.pauseTimer !== null) return;
    for (const batch of this.pending.unsent()) {
      batch.refusals.clear();
      socket.send({ type: 'mutate', clientBatchId: batch.clientBatchId, mutations: batch.mutations, ...(batch.sentBefore ? { resend: true } : {}) });
      batch.sentOn = connection;
    }
  }

  /** The server refused `batch` for the rate: it waits to be sent again, after `resume` is called. */
  rateLimited(batch: PendingBatch, resume: () => void): void {
    batch.sentOn = null;
    if (this.pauseTimer !== null) return;
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      resume();
    }, reconnectDelay(this.streak++, rateLimitDelays));
  }

  acknowledged(): void {
    this.streak = 0;
  }

  /** The connection is gone: the next one sends everything at once after its join. */
  cancel(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
  }
}
