import type { BenchWriter } from '../shared/benchWriter.js';
import { GrowableArray } from '../shared/growableArray.js';

/** Packs (writer, seq) into one float64: exact while seq < 2^24 and writer < 2^29. */
const seqSpan = 2 ** 24;

/** First arrivals of one kind (deliveries to other sockets, or echoes to the sender). */
class ArrivalSamples {
  count = 0;
  readonly latencies = new GrowableArray(Float64Array);
  readonly keys = new GrowableArray(Float64Array);

  push(writer: number, seq: number, latencyMs: number): void {
    this.latencies.set(this.count, latencyMs);
    this.keys.set(this.count, writer * seqSpan + seq);
    this.count++;
  }

  /** Latencies of the updates of writer w with seq in [from[w], to[w]) (the measured window). */
  latenciesIn(from: readonly number[], to: readonly number[]): number[] {
    const samples: number[] = [];
    for (let index = 0; index < this.count; index++) {
      const key = this.keys.get(index);
      const writer = Math.floor(key / seqSpan);
      const seq = key - writer * seqSpan;
      if (seq >= from[writer] && seq < to[writer]) samples.push(this.latencies.get(index));
    }
    return samples;
  }
}

/**
 * The arrivals of one load step, shared by every receiving socket: a flat list instead of a
 * latency per (socket, update), so memory grows with the deliveries of one step only. Which
 * samples belong to the measured window is decided afterwards, by seq, once the open loop
 * knows where the window started.
 */
export class ArrivalRecorder {
  readonly deliveries = new ArrivalSamples();
  readonly echoes = new ArrivalSamples();
  /** Deliveries (echo excluded) that arrived inside [windowStart, windowEnd). */
  windowDeliveries = 0;

  constructor(
    private readonly writers: readonly BenchWriter[],
    private readonly windowStart: number,
    private readonly windowEnd: number,
  ) {}

  /** The first arrival of `seq` of writer `writer` at one socket. */
  arrival(writer: number, seq: number, receivedAt: number, echo: boolean): void {
    const latency = receivedAt - this.writers[writer].sentAtOf(seq);
    if (echo) return this.echoes.push(writer, seq, latency);
    this.deliveries.push(writer, seq, latency);
    if (receivedAt >= this.windowStart && receivedAt < this.windowEnd) this.windowDeliveries++;
  }
}
