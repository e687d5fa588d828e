import type { ElementMutation } from '../storage/boardElements.js';
import type { BoardErrorMessage, ServerBoardMessage } from '../boards/boardProtocol.js';
import { ConfirmedBoard, type ServerOrderStep } from './confirmedBoard.js';
import type { BoardPages } from './elementPages.js';
import { PendingBatches, type PendingBatch } from './pendingBatches.js';

/** A board state as the client exposes it. */
export interface BoardSnapshot {
  /** The last server event it includes (0 for a board nobody changed yet). */
  sequence: number;
  pages: BoardPages;
}

/** Where a change of the visible state came from. */
export type ChangeOrigin = 'local' | 'server';

/**
 * `resync`: the client cannot place what it got; it must rejoin and catch up from its sequence.
 * `refetch`: a catch-up from its sequence did not fit either; it must rejoin for the full state.
 */
export type SyncVerdict = 'ok' | 'resync' | 'refetch';

export interface BoardSyncEvents {
  changed(origin: ChangeOrigin): void;
  /** A mutation of an acknowledged batch was refused; the board has been repaired from it. */
  refused(error: BoardErrorMessage): void;
}

type MutationsMessage = Extract<ServerBoardMessage, { type: 'mutations' }>;
type AckMessage = Extract<ServerBoardMessage, { type: 'ack' }>;

/** A run of others' mutations that arrived ahead of an ack still due, which may precede it. */
interface HeldRun {
  firstSequence: number;
  steps: ServerOrderStep[];
}

/**
 * The two layers of the client's state (tldraw's model, research/board-sync.md 2): the confirmed
 * board in server order, and the unacknowledged batches replayed on top of it for what the app
 * shows. Knows nothing of sockets: it is told what arrived and answers whether it could place it.
 */
export class BoardSync {
  readonly confirmed = new ConfirmedBoard();
  readonly pending = new PendingBatches();
  private held: HeldRun[] = [];
  private visibleCache: BoardSnapshot | null = null;

  constructor(private readonly events: BoardSyncEvents) {}

  /** What the app sees: the confirmed board with every unacknowledged batch on top. */
  visible(): BoardSnapshot {
    if (this.visibleCache) return this.visibleCache;
    const pages = this.confirmed.pages.clone();
    this.pending.replayOnto(pages);
    this.visibleCache = { sequence: this.confirmed.sequence ?? 0, pages: pages.toRecord() };
    return this.visibleCache;
  }

  confirmedSnapshot(): BoardSnapshot {
    return { sequence: this.confirmed.sequence ?? 0, pages: this.confirmed.pages.toRecord() };
  }

  addBatch(clientBatchId: string, mutations: readonly ElementMutation[]): void {
    this.pending.add(clientBatchId, mutations);
    this.changed('local');
  }

  /** Removes a batch the server will never apply (refused as a whole). */
  dropBatch(clientBatchId: string): PendingBatch | undefined {
    const batch = this.pending.take(clientBatchId);
    if (batch) this.changed('local');
    return batch;
  }

  /** A full sync: the fetched state replaces the confirmed board. */
  replace(pages: BoardPages, sequence: number): void {
    this.held = [];
    this.confirmed.replace(pages, sequence);
    this.changed('server');
  }

  /** A delta join: `missed` are the events after the client's sequence up to the head. */
  catchUp(head: number, missed: readonly ElementMutation[], connection: number): SyncVerdict {
    const from = this.confirmed.sequence;
    // The same join would get the same catch-up: only the full state can repair this.
    if (from === null || head - from !== missed.length) return 'refetch';
    const outcome = this.confirmed.applyRun(from + 1, missed.map(mutationStep));
    return outcome === 'gap' ? 'resync' : this.settle(outcome === 'applied', connection);
  }

  /** Others' logged mutations: sequences `sequence - mutations.length + 1 ... sequence`. */
  receiveMutations(message: MutationsMessage, connection: number): SyncVerdict {
    const run: HeldRun = { firstSequence: message.sequence - message.mutations.length + 1, steps: message.mutations.map(mutationStep) };
    const outcome = this.confirmed.applyRun(run.firstSequence, run.steps);
    if (outcome !== 'gap') return this.settle(outcome === 'applied', connection);
    // Past a gap: an ack still due on this socket may fill it; otherwise events were lost.
    if (!this.pending.awaitsAckOn(connection)) return 'resync';
    this.held.push(run);
    return 'ok';
  }

  /** A refusal the server sends just before its batch's ack. */
  receiveRefusal(error: BoardErrorMessage): void {
    const batch = this.pending.get(error.clientBatchId);
    if (!batch || error.index === undefined) return;
    batch.refusals.set(error.index, error);
    this.changed('server');
  }

  /**
   * The ack of one of this client's batches: its logged mutations take the sequences up to the
   * ack's, in batch order without the refused ones, whose refusals repair the board instead.
   */
  receiveAck(ack: AckMessage, connection: number): SyncVerdict {
    const batch = this.pending.take(ack.clientBatchId);
    if (!batch || ack.duplicate) {
      // Stored before (a resend, or a batch this client no longer tracks): the client must
      // already have its events, else they are in the catch-up a rejoin brings.
      const missing = ack.sequence > (this.confirmed.sequence ?? -1) && (ack.duplicate === true || ack.applied > 0);
      return missing ? this.resyncWithout(batch) : this.settle(batch !== undefined, connection);
    }
    const steps = batch.mutations.map((mutation, index): ServerOrderStep => {
      const refusal = batch.refusals.get(index);
      return refusal ? goneStep(mutation, refusal) : mutationStep(mutation);
    });
    const logged = steps.filter((step) => step.kind === 'mutation').length;
    // The refusals that came do not account for what the server logged: the batch cannot be placed.
    if (logged !== ack.applied) return this.resyncWithout(batch);
    for (const refusal of batch.refusals.values()) this.events.refused(refusal);
    if (logged === 0) {
      this.confirmed.applyRefusals(ack.sequence, steps.filter(isGoneStep));
      return this.settle(true, connection);
    }
    const outcome = this.confirmed.applyRun(ack.sequence - logged + 1, steps);
    return outcome === 'gap' ? this.resyncWithout(batch) : this.settle(true, connection);
  }

  /** The batch is the server's now (stored), but its events must come from a catch-up. */
  private resyncWithout(batch: PendingBatch | undefined): SyncVerdict {
    if (batch) this.changed('server');
    return 'resync';
  }

  /** The connection closed: held runs are caught up by the next join, batches sent again. */
  connectionLost(): void {
    this.held = [];
    this.pending.connectionLost();
  }

  /**
   * After the board moved: held runs that now continue it are applied, the change is told once,
   * and a gap that no ack still due can fill asks for a resync.
   */
  private settle(changed: boolean, connection: number): SyncVerdict {
    let moved = changed;
    this.held.sort((left, right) => left.firstSequence - right.firstSequence);
    while (this.held.length > 0) {
      const outcome = this.confirmed.applyRun(this.held[0].firstSequence, this.held[0].steps);
      if (outcome === 'gap') break;
      moved ||= outcome === 'applied';
      this.held.shift();
    }
    if (moved) this.changed('server');
    return this.held.length > 0 && !this.pending.awaitsAckOn(connection) ? 'resync' : 'ok';
  }

  private changed(origin: ChangeOrigin): void {
    this.visibleCache = null;
    this.events.changed(origin);
  }
}

const mutationStep = (mutation: ElementMutation): ServerOrderStep => ({ kind: 'mutation', mutation });
const isGoneStep = (step: ServerOrderStep): step is Extract<ServerOrderStep, { kind: 'gone' }> => step.kind === 'gone';

/** The element a refused mutation named is gone, per the refusal's tombstone or ids. */
function goneStep(mutation: ElementMutation, refusal: BoardErrorMessage): ServerOrderStep {
  const pageId = refusal.tombstone?.pageId ?? refusal.pageId ?? mutation.pageId;
  const elementId = refusal.tombstone?.elementId ?? refusal.elementId ?? (mutation.op === 'upsert' ? mutation.element.id : mutation.elementId);
  return { kind: 'gone', pageId, elementId };
}
