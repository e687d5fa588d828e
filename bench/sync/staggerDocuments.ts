import { sleep } from '../shared/withDeadline.js';
import type { ConnectedLoad } from './benchLoad.js';

/** How long the stagger updates may take to reach every socket. */
const settleTimeoutMs = 5_000;

/**
 * Gives document `i` a head start of `i * perDocument` updates before the ladder. Both sync
 * layers compact a document after a fixed number of updates (memory 256, Redis 500), with a
 * synchronous Y.mergeUpdates on the event loop (~10 ms each here). Writers at equal rates would
 * otherwise hit that threshold together and stall the node for 20 merges at once: a real
 * property of lockstep load, but not of independent documents (`--lockstep` keeps it).
 */
export async function staggerDocuments(load: ConnectedLoad, perDocument: number): Promise<void> {
  // Rounds of `perDocument` per writer that still has some to go, so it is never one big burst.
  for (let round = 1; round < load.writers.length; round++) {
    for (const writer of load.writers) {
      if (writer.writer >= round) for (let index = 0; index < perDocument; index++) writer.sendNext();
    }
    await sleep(20);
  }
  const deadline = Date.now() + settleTimeoutMs;
  const logs = [...load.readers, ...load.echoes];
  while (!logs.every((log) => log.hasAll(0, load.writers[log.writer].sent))) {
    if (Date.now() > deadline) throw new Error('the stagger updates did not reach every socket in time');
    await sleep(10);
  }
}
