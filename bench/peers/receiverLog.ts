import { writerClientId } from '../shared/benchWriter.js';
import { GrowableArray } from '../shared/growableArray.js';
import type { ArrivalRecorder } from './arrivalRecorder.js';
import { updateRanges } from './updateRanges.js';

/** What one socket got of a range of updates (per writer seq ranges, summed). */
export interface RangeCount {
  expected: number;
  received: number;
  duplicates: number;
  missing: number;
}

/** Where the updates a socket receives come from: the writers of its document. */
export interface ReceiverPlace {
  /** Global index of the document's first writer; its writers are `firstWriter + 0..writersPerDoc-1`. */
  firstWriter: number;
  writersPerDoc: number;
  /** Global index of the writer on this socket (its echo), or -1 for a reader. */
  ownWriter: number;
}

/**
 * Everything one socket of a multi-writer document received, checked per writer: each update
 * is one (writer, seq) clock, taken from the struct ids of whatever frame carried it (one
 * frame per update, or many updates merged into one), so no server has to send one frame per
 * update. An update is delivered when its clock has arrived; a clock arriving before an
 * earlier one of the same writer is out of order; one arriving twice is a duplicate.
 */
export class ReceiverLog {
  private readonly counts: GrowableArray<Uint8Array>[];
  /** Per writer of the document: the next seq expected in order (all before it arrived). */
  private readonly next: number[];
  outOfOrder = 0;
  /** Clocks of a client that is not a writer of this document, or not a well-formed entry. */
  foreign = 0;
  /** Where first arrivals go (the current step's recorder; null between steps). */
  recorder: ArrivalRecorder | null = null;

  constructor(readonly place: ReceiverPlace) {
    this.counts = Array.from({ length: place.writersPerDoc }, () => new GrowableArray(Uint8Array));
    this.next = Array.from({ length: place.writersPerDoc }, () => 0);
  }

  record(update: Uint8Array, receivedAt: number): void {
    const ranges = updateRanges(update);
    const firstClient = writerClientId(this.place.firstWriter);
    for (let index = 0; index < ranges.length; index += 3) {
      const slot = ranges[index] - firstClient;
      if (ranges[index] < 0 || slot < 0 || slot >= this.place.writersPerDoc) {
        this.foreign += ranges[index + 2];
        continue;
      }
      const end = ranges[index + 1] + ranges[index + 2];
      for (let seq = ranges[index + 1]; seq < end; seq++) this.arrive(slot, seq, receivedAt);
    }
  }

  /** Whether every seq of every writer below `endSeq[writer]` (global index) arrived. */
  hasAllBelow(endSeq: readonly number[]): boolean {
    for (let slot = 0; slot < this.next.length; slot++) if (this.next[slot] < endSeq[this.place.firstWriter + slot]) return false;
    return true;
  }

  /** Deliveries (other writers) and echoes (own writer) of the seqs in [from[w], to[w]). */
  countRange(from: readonly number[], to: readonly number[]): { deliveries: RangeCount; echo: RangeCount } {
    const deliveries = emptyCount();
    const echo = emptyCount();
    for (let slot = 0; slot < this.counts.length; slot++) {
      const writer = this.place.firstWriter + slot;
      addRange(writer === this.place.ownWriter ? echo : deliveries, this.counts[slot], from[writer], to[writer]);
    }
    return { deliveries, echo };
  }

  private arrive(slot: number, seq: number, receivedAt: number): void {
    const counts = this.counts[slot];
    const seen = counts.get(seq);
    counts.set(seq, Math.min(seen + 1, 255));
    if (seen > 0) return;
    if (seq !== this.next[slot]) this.outOfOrder++;
    else {
      let next = seq + 1;
      while (counts.get(next) > 0) next++;
      this.next[slot] = next;
    }
    const writer = this.place.firstWriter + slot;
    this.recorder?.arrival(writer, seq, receivedAt, writer === this.place.ownWriter);
  }
}

export function emptyCount(): RangeCount {
  return { expected: 0, received: 0, duplicates: 0, missing: 0 };
}

export function addCounts(total: RangeCount, one: RangeCount): void {
  total.expected += one.expected;
  total.received += one.received;
  total.duplicates += one.duplicates;
  total.missing += one.missing;
}

function addRange(total: RangeCount, counts: GrowableArray<Uint8Array>, from: number, to: number): void {
  for (let seq = from; seq < to; seq++) {
    const count = counts.get(seq);
    if (count > 0) total.received++;
    if (count > 1) total.duplicates += count - 1;
  }
  total.expected += to - from;
  total.missing = total.expected - total.received;
}
