import { encodeAwarenessUpdate } from './encodeServerMessage.js';
import type { AwarenessEntry } from './protocol.js';

/** Who announced an awareness state: a local connection, or another node of the cluster. */
export type AwarenessOwner = object;

interface TrackedState extends AwarenessEntry {
  owner: AwarenessOwner;
}

const removedState = 'null';

/**
 * The awareness states of one document, kept as the raw JSON text clients sent. It replaces a
 * y-protocols Awareness instance (and its interval timer) with a plain map: the server only
 * needs to hand current states to joiners and to announce removals when their owner leaves.
 */
export class AwarenessStates {
  private readonly states = new Map<number, TrackedState>();

  /** Records an update's entries; entries older than what is known are ignored, as clients do. */
  apply(entries: readonly AwarenessEntry[], owner: AwarenessOwner): void {
    for (const entry of entries) {
      const known = this.states.get(entry.clientId);
      if (known && entry.clock < known.clock) continue;
      if (entry.state === removedState) this.states.delete(entry.clientId);
      else this.states.set(entry.clientId, { ...entry, owner });
    }
  }

  /** All current states as one awareness update, or null when there are none. */
  snapshot(): Uint8Array | null {
    return this.states.size === 0 ? null : encodeAwarenessUpdate(this.states.values());
  }

  /**
   * Forgets every state the owner announced and returns the update that tells others they are
   * gone (clock + 1 so receivers accept it), or null when the owner had none.
   */
  removeOwner(owner: AwarenessOwner): Uint8Array | null {
    const removed: AwarenessEntry[] = [];
    for (const [clientId, tracked] of this.states) {
      if (tracked.owner !== owner) continue;
      removed.push({ clientId, clock: tracked.clock + 1, state: removedState });
      this.states.delete(clientId);
    }
    return removed.length === 0 ? null : encodeAwarenessUpdate(removed);
  }

  get size(): number {
    return this.states.size;
  }
}
