import type { Clock } from '../clock.js';
import type { DocumentEnded, DocumentHooks, OpeningDocument, WatchedDocument } from '../documents/index.js';
import type { Logger } from '../log.js';
import { housekeeping, repeatJittered } from '../scheduling/index.js';
import type { SyncLayer } from '../sync/index.js';
import type { DocumentArchive } from './documentArchive.js';
import { dominates } from './stateVectors.js';

export interface DocumentArchivingOptions {
  archive: DocumentArchive;
  /** Holds the checkpoint lease, so one node of a cluster writes each checkpoint. */
  syncLayer: Pick<SyncLayer, 'holdLease'>;
  clock: Clock;
  logger: Logger;
  /** At most this long between a change and its checkpoint (`--archive-interval-ms`). */
  intervalMs: number;
}

/** The lease that names a document's checkpoint writer. */
const checkpointLease = 'archive-checkpoint';

/**
 * Keeps documents in the archive (issue 17): restores a document's archived state into the sync
 * layer when a session opens, checkpoints a live document that changed every interval, and
 * writes the final state when the document ends (DocumentHooks).
 *
 * Checkpoints: every node serving a document ticks at 75-100 % of the interval (jittered anew
 * each time) and queues the check on the housekeeping queue, so documents opened together do
 * not write together. A tick with no change since this node's last look does nothing. A change
 * goes to the node holding the document's lease (SET NX PX, renewed at each of its writes, for
 * two intervals): exactly one node writes each checkpoint; the others count the change as the
 * holder's. A holder that dies loses the lease within two intervals and the next node to see a
 * change takes it over.
 *
 * Deletion: the DELETE's node clears the archive, but a checkpoint of another node may land just
 * after (in flight, or written before that node heard): each node that wrote one for the deleted
 * session removes the entry again once its own write settled (deletedHere).
 */
export class DocumentArchiving implements DocumentHooks {
  /** The checkpoint watch of each document live on this node. */
  private readonly watches = new Map<string, CheckpointWatch>();
  /** Deleted documents whose checkpoints written here are being removed (deletedHere). */
  private readonly undoing = new Map<string, Promise<void>>();

  constructor(private readonly options: DocumentArchivingOptions) {}

  get archive(): DocumentArchive {
    return this.options.archive;
  }

  /**
   * A claim (no session was live anywhere) or a state that came back empty (a Redis that lost
   * it) reads the archive; what it holds beyond the loaded state goes into the sync layer
   * before any client is served. Other opens join a session whose state has it already.
   */
  async opening(document: OpeningDocument): Promise<void> {
    const loaded = document.stateVector();
    if (!document.claimed && !isEmptyStateVector(loaded)) return;
    // A new session of a document just deleted here must not restore a checkpoint about to go.
    await this.undoing.get(document.docKey)?.catch(() => undefined);
    const archived = await this.options.archive.get(document.docKey);
    if (archived === null || dominates(loaded, archived)) return;
    await document.restore(archived);
    this.options.logger.info({ docKey: document.docKey, bytes: archived.byteLength }, 'document restored from the archive');
  }

  live(document: WatchedDocument): () => void {
    const watch: CheckpointWatch = { seen: document.revision, stopped: false, writing: null, wrote: false };
    this.watches.set(document.docKey, watch);
    const check = (): void => {
      // A tick queued before the watch stopped runs after it: it must not write any more.
      if (watch.stopped || watch.writing !== null || document.revision === watch.seen) return;
      const revision = document.revision;
      watch.writing = this.checkpoint(document)
        .then((wrote) => {
          // Written here, or by the lease holder: either way this node has nothing more to add.
          if (wrote !== 'failed') watch.seen = revision;
          if (wrote === 'wrote') watch.wrote = true;
        })
        .finally(() => {
          watch.writing = null;
        });
    };
    const stopTicks = repeatJittered({ clock: this.options.clock, intervalMs: this.options.intervalMs }, () => housekeeping.enqueue(check, 'archive-checkpoint'));
    return () => {
      watch.stopped = true;
      stopTicks();
      if (this.watches.get(document.docKey) === watch) this.watches.delete(document.docKey);
    };
  }

  /**
   * A checkpoint this node wrote may have landed after the DELETE cleared the archive (it was in
   * flight, or this node heard of the deletion late): once it settles, the archive entry goes
   * again. A node that wrote none has nothing to undo (the deleting node cleared the rest).
   */
  deletedHere(docKey: string): Promise<void> {
    const watch = this.watches.get(docKey);
    if (!watch) return Promise.resolve();
    watch.stopped = true;
    const undo = this.undoCheckpoints(docKey, watch).finally(() => {
      if (this.undoing.get(docKey) === undo) this.undoing.delete(docKey);
    });
    this.undoing.set(docKey, undo);
    return undo;
  }

  private async undoCheckpoints(docKey: string, watch: CheckpointWatch): Promise<void> {
    await watch.writing;
    if (!watch.wrote) return;
    await this.options.archive.delete(docKey);
    this.options.logger.debug({ docKey }, 'archive checkpoint of a deleted document removed');
  }

  /** The final state goes to the archive; a rejection keeps the sync-layer state for a retry. */
  async ended(ended: DocumentEnded): Promise<void> {
    if (ended.finalState === null) return;
    await this.options.archive.put(ended.docKey, ended.finalState);
    this.options.logger.debug({ docKey: ended.docKey, reason: ended.reason, bytes: ended.finalState.byteLength }, 'final state archived');
  }

  private async checkpoint(document: WatchedDocument): Promise<'wrote' | 'other-holder' | 'failed'> {
    const { archive, syncLayer, intervalMs, logger } = this.options;
    try {
      if (!(await syncLayer.holdLease(document.docKey, checkpointLease, 2 * intervalMs))) return 'other-holder';
      await archive.put(document.docKey, document.encodeState());
      return 'wrote';
    } catch (error) {
      // The next tick tries again; the sync layer still holds everything meanwhile.
      logger.warn({ docKey: document.docKey, err: error, archive: archive.kind }, 'archive checkpoint failed; retried at the next interval');
      return 'failed';
    }
  }
}

interface CheckpointWatch {
  /** The document's revision at this node's last checkpoint (or look). */
  seen: number;
  stopped: boolean;
  /** The checkpoint in flight, if any. */
  writing: Promise<void> | null;
  /** Whether this node wrote a checkpoint of this session. */
  wrote: boolean;
}

function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.byteLength === 1 && stateVector[0] === 0;
}
