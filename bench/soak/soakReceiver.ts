import * as Y from 'yjs';
import type { ReceiverPlace } from '../peers/receiverLog.js';
import { GrowableArray } from '../shared/growableArray.js';
import type { SoakMeter } from './soakMeter.js';
import { charsPerUpdate, soakClientId } from './soakWriter.js';

/** What one socket got of its document's updates while it was connected (summed over sockets). */
export interface DeliveryTally {
  /** Updates of the other editors sent while the socket was connected, and those that never came. */
  expected: number;
  missing: number;
  /** Updates from before the socket joined that its sync step 2 did not bring. */
  historyMissing: number;
  /** Arrivals after the handshake of an update the socket already held. */
  duplicates: number;
  /** Arrivals after the handshake ahead of an earlier update of the same editor. */
  outOfOrder: number;
  /** Clocks of a client that is not an editor of the document, or not a whole update. */
  foreign: number;
  /** The socket's own updates, and those whose echo never came back. */
  echoExpected: number;
  echoMissing: number;
}

export function emptyTally(): DeliveryTally {
  return { expected: 0, missing: 0, historyMissing: 0, duplicates: 0, outOfOrder: 0, foreign: 0, echoExpected: 0, echoMissing: 0 };
}

export function addTally(total: DeliveryTally, one: DeliveryTally): void {
  for (const key of Object.keys(total) as (keyof DeliveryTally)[]) total[key] += one[key];
}

/**
 * Everything one socket of one connection's lifetime (a churned editor gets a new one) received,
 * per editor and seq. Until `goLive` (its handshake) updates only fill in: the server sends
 * broadcasts to a joining socket before its sync step 2, so an early update and the step 2 that
 * holds it again are expected; after it, a repeat is a duplicate and a gap is out of order.
 * Each frame's clocks come from Y.parseUpdateMeta, so a frame of merged updates counts for each.
 */
export class SoakReceiver {
  private readonly counts: GrowableArray<Uint8Array>[];
  /** Per editor: every seq below this has arrived. */
  private readonly next: number[];
  private live = false;
  private readonly tally = emptyTally();

  /** `joinSeq[slot]`: what editor `firstWriter + slot` had sent when this socket started to connect. */
  constructor(
    readonly place: ReceiverPlace,
    private readonly joinSeq: readonly number[],
    private readonly meter: SoakMeter,
  ) {
    this.counts = Array.from({ length: place.writersPerDoc }, () => new GrowableArray(Uint8Array));
    this.next = Array.from({ length: place.writersPerDoc }, () => 0);
  }

  /** The handshake is done: from now on arrivals are timed and checked for order and repeats. */
  goLive(): void {
    this.live = true;
  }

  record(update: Uint8Array, receivedAt: number, sentAtOf: (writer: number, seq: number) => number): void {
    const meta = Y.parseUpdateMeta(update);
    for (const [client, endClock] of meta.to) {
      const slot = client - soakClientId(this.place.firstWriter);
      const startClock = meta.from.get(client) ?? endClock;
      if (slot < 0 || slot >= this.place.writersPerDoc || startClock % charsPerUpdate !== 0 || endClock % charsPerUpdate !== 0) {
        this.tally.foreign += endClock - startClock;
        continue;
      }
      for (let seq = startClock / charsPerUpdate; seq < endClock / charsPerUpdate; seq++) this.arrive(slot, seq, receivedAt, sentAtOf);
    }
  }

  /** Whether every update below `endSeq(writer)` of every editor has arrived. */
  holdsAll(endSeq: (writer: number) => number): boolean {
    return this.next.every((next, slot) => next >= endSeq(this.place.firstWriter + slot));
  }

  /** The socket's figures against what the editors had sent when it left (`endSeq`). */
  finish(endSeq: (writer: number) => number): DeliveryTally {
    const result = { ...this.tally };
    for (let slot = 0; slot < this.place.writersPerDoc; slot++) {
      const writer = this.place.firstWriter + slot;
      const join = this.joinSeq[slot];
      const end = endSeq(writer);
      const missing = this.absent(slot, join, end);
      if (writer === this.place.ownWriter) {
        result.echoExpected += end - join;
        result.echoMissing += missing;
      } else {
        result.expected += end - join;
        result.missing += missing;
      }
      result.historyMissing += this.absent(slot, 0, join);
    }
    return result;
  }

  private absent(slot: number, from: number, to: number): number {
    let absent = 0;
    for (let seq = from; seq < to; seq++) if (this.counts[slot].get(seq) === 0) absent++;
    return absent;
  }

  private arrive(slot: number, seq: number, receivedAt: number, sentAtOf: (writer: number, seq: number) => number): void {
    const counts = this.counts[slot];
    const seen = counts.get(seq);
    counts.set(seq, Math.min(seen + 1, 255));
    if (seen > 0) {
      if (this.live) this.tally.duplicates++;
      return;
    }
    if (seq === this.next[slot]) {
      let next = seq + 1;
      while (counts.get(next) > 0) next++;
      this.next[slot] = next;
    } else if (this.live) {
      this.tally.outOfOrder++;
    }
    if (!this.live) return;
    const writer = this.place.firstWriter + slot;
    const latencyMs = receivedAt - sentAtOf(writer, seq);
    if (writer === this.place.ownWriter) this.meter.echo();
    else this.meter.delivery(latencyMs);
  }
}
