import * as Y from 'yjs';
import { entryKey, writerClientId } from '../shared/benchWriter.js';
import { GrowableArray } from '../shared/growableArray.js';

/** What one receiver saw of one update range (one ladder step). */
export interface RangeDelivery {
  expected: number;
  received: number;
  duplicates: number;
  missing: number;
}

/**
 * Everything one receiving socket (a reader, or a writer's own echo) got from its document's
 * writer: how often each seq arrived and the latency of its first arrival. An entry is taken
 * only when its key, its struct id and its writer agree, so a wrong or cross-document update
 * shows as `foreign` instead of counting as delivered.
 */
export class DeliveryLog {
  private readonly counts = new GrowableArray(Uint8Array);
  private readonly latencies = new GrowableArray(Float64Array);
  /** Entries that did not belong to this document's writer or did not parse. */
  foreign = 0;
  /** Arrivals stamped inside the current window (see `openWindow`). */
  windowArrivals = 0;
  private windowStart = Infinity;
  private windowEnd = -Infinity;

  constructor(readonly writer: number) {}

  /** Counts arrivals stamped in [start, end) (the measured part of a step). */
  openWindow(start: number, end: number): void {
    this.windowStart = start;
    this.windowEnd = end;
    this.windowArrivals = 0;
  }

  /** Decodes an update the server sent and records each entry in it (merged updates included). */
  record(update: Uint8Array, receivedAt: number): void {
    for (const struct of Y.decodeUpdate(update).structs) {
      if (!(struct instanceof Y.Item)) continue;
      const seq = this.seqOf(struct);
      if (seq < 0) {
        this.foreign++;
        continue;
      }
      const count = this.counts.get(seq);
      this.counts.set(seq, Math.min(count + 1, 255));
      if (count > 0) continue;
      const sentAt = Number((struct.content as Y.ContentAny).arr[0]);
      this.latencies.set(seq, receivedAt - sentAt);
      if (receivedAt >= this.windowStart && receivedAt < this.windowEnd) this.windowArrivals++;
    }
  }

  /** Whether every seq in [from, to) arrived at least once. */
  hasAll(from: number, to: number): boolean {
    for (let seq = from; seq < to; seq++) if (this.counts.get(seq) === 0) return false;
    return true;
  }

  delivery(from: number, to: number): RangeDelivery {
    let received = 0;
    let duplicates = 0;
    for (let seq = from; seq < to; seq++) {
      const count = this.counts.get(seq);
      if (count > 0) received++;
      if (count > 1) duplicates += count - 1;
    }
    const expected = to - from;
    return { expected, received, duplicates, missing: expected - received };
  }

  /** First-arrival latencies (ms) of the seqs in [from, to) that arrived. */
  latenciesOf(from: number, to: number, into: number[]): void {
    for (let seq = from; seq < to; seq++) if (this.counts.get(seq) > 0) into.push(this.latencies.get(seq));
  }

  /** The entry's seq, or -1 when it is not a well-formed entry of this log's writer. */
  private seqOf(item: Y.Item): number {
    if (item.id.client !== writerClientId(this.writer) || !(item.content instanceof Y.ContentAny)) return -1;
    const seq = item.id.clock;
    return item.parentSub === entryKey(this.writer, seq) && item.length === 1 ? seq : -1;
  }
}
