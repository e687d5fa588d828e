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
 */
export class DocumentArchiving implements DocumentHooks {
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
    const archived = await this.options.archive.get(document.docKey);
    if (archived === null || dominates(loaded, archived)) return;
    await document.restore(archived);
    this.options.logger.info({ docKey: document.docKey, bytes: archived.byteLength }, 'document restored from the archive');
  }

  live(document: WatchedDocument): () => void {
    let seen = document.revision;
    let writing = false;
    const check = (): void => {
      if (writing || document.revision === seen) return;
      writing = true;
      const revision = document.revision;
      this.checkpoint(document)
        .then((wrote) => {
          // Written here, or by the lease holder: either way this node has nothing more to add.
          if (wrote !== 'failed') seen = revision;
        })
        .finally(() => {
          writing = false;
        });
    };
    return repeatJittered({ clock: this.options.clock, intervalMs: this.options.intervalMs }, () => housekeeping.enqueue(check, 'archive-checkpoint'));
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

function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.byteLength === 1 && stateVector[0] === 0;
}
