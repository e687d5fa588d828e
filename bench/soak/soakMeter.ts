import { GrowableArray } from '../shared/growableArray.js';
import { summarizeLatencies, type LatencySummary } from '../shared/latencyStats.js';

/** What arrived during one sample interval. */
export interface IntervalArrivals {
  deliveries: number;
  echoes: number;
  awarenessFrames: number;
  /** Send (editor, before `ws.send`) to first arrival at another socket of the document. */
  latency: LatencySummary;
}

/**
 * The arrivals of the current sample interval, shared by every socket: one flat latency list
 * per interval (~270k at the default load), handed over and dropped at each sample, so the
 * generator's memory does not grow with the run.
 */
export class SoakMeter {
  private deliveries = 0;
  private echoes = 0;
  private awarenessFrames = 0;
  private latencies = new GrowableArray(Float64Array);
  /** Deliveries since the start, over every interval. */
  totalDeliveries = 0;

  delivery(latencyMs: number): void {
    this.latencies.set(this.deliveries++, latencyMs);
    this.totalDeliveries++;
  }

  echo(): void {
    this.echoes++;
  }

  awareness(): void {
    this.awarenessFrames++;
  }

  /** The interval's figures; the next interval starts empty. */
  rotate(): IntervalArrivals {
    const samples = Array.from({ length: this.deliveries }, (_, index) => this.latencies.get(index));
    const arrivals = { deliveries: this.deliveries, echoes: this.echoes, awarenessFrames: this.awarenessFrames, latency: summarizeLatencies(samples) };
    this.deliveries = 0;
    this.echoes = 0;
    this.awarenessFrames = 0;
    this.latencies = new GrowableArray(Float64Array);
    return arrivals;
  }
}
