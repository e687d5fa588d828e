import type { ElementMutation } from '../storage/boardElements.js';
import type { BoardErrorMessage } from '../boards/boardProtocol.js';
import type { ElementPages } from './elementPages.js';

/** A batch the server has not acknowledged yet. */
export interface PendingBatch {
  readonly clientBatchId: string;
  readonly mutations: readonly ElementMutation[];
  /** The connection it was sent on and waits for an ack on; null: it waits to be sent. */
  sentOn: number | null;
  /** Sent on an earlier connection that closed before the ack: the next send is a resend. */
  sentBefore: boolean;
  /** Mutations the server refused (MUTATION_CONFLICT errors come ahead of the ack), by index. */
  readonly refusals: Map<number, BoardErrorMessage>;
}

/** The client's unacknowledged batches, in the order the app made them. */
export class PendingBatches {
  private readonly batches: PendingBatch[] = [];

  get size(): number {
    return this.batches.length;
  }

  add(clientBatchId: string, mutations: readonly ElementMutation[]): PendingBatch {
    const batch: PendingBatch = { clientBatchId, mutations, sentOn: null, sentBefore: false, refusals: new Map() };
    this.batches.push(batch);
    return batch;
  }

  get(clientBatchId: string | undefined): PendingBatch | undefined {
    return clientBatchId === undefined ? undefined : this.batches.find((batch) => batch.clientBatchId === clientBatchId);
  }

  /** Removes and returns a batch (acknowledged or dropped). */
  take(clientBatchId: string): PendingBatch | undefined {
    const index = this.batches.findIndex((batch) => batch.clientBatchId === clientBatchId);
    return index < 0 ? undefined : this.batches.splice(index, 1)[0];
  }

  /** Batches waiting to be sent, in order. */
  unsent(): PendingBatch[] {
    return this.batches.filter((batch) => batch.sentOn === null);
  }

  /** Whether an ack is still due on this connection (it may fill a gap in the sequence). */
  awaitsAckOn(connection: number): boolean {
    return this.batches.some((batch) => batch.sentOn === connection);
  }

  /** The connection closed: whatever it carried is sent again on the next one. */
  connectionLost(): void {
    for (const batch of this.batches) {
      if (batch.sentOn === null) continue;
      batch.sentOn = null;
      batch.sentBefore = true;
    }
  }

  /** Replays every batch on top of `pages`, leaving out the mutations the server already refused. */
  replayOnto(pages: ElementPages): void {
    for (const batch of this.batches) {
      batch.mutations.forEach((mutation, index) => {
        if (!batch.refusals.has(index)) pages.apply(mutation);
      });
    }
  }
}
