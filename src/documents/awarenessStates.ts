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

  /**
   * Records an update's entries and tells whether any of them was news. Stock clients re-send
   * every awareness change they hear (other clients' states included, at the same clock), so
   * only newer entries count; relaying the rest would echo each change N times to N clients.
   * A state is owned by whoever brought its newest clock: an echo never carries a newer clock,
   * so that is the client itself, and a client that moved (a new socket, or another node after
   * a failover) takes its state along instead of losing it when its old owner goes away.
   */
  apply(entries: readonly AwarenessEntry[], owner: AwarenessOwner): boolean {
    let changed = false;
    for (const entry of entries) {
      const known = this.states.get(entry.clientId);
      const removal = entry.state === removedState;
      if (known) {
        // y-protocols accepts a removal at the same clock too.
        if (entry.clock < known.clock || (entry.clock === known.clock && !removal)) continue;
        if (removal) this.states.delete(entry.clientId);
        else this.states.set(entry.clientId, { ...entry, owner });
        changed = true;
      } else if (!removal) {
        this.states.set(entry.clientId, { ...entry, owner });
        changed = true;
      }
    }
    return changed;
  }

  /** Who announced the client's current state, if it has one. */
  ownerOf(clientId: number): AwarenessOwner | undefined {
    return this.states.get(clientId)?.owner;
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
