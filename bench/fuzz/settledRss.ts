import { processRssBytes } from '../shared/processCpu.js';
import { sleep } from '../shared/withDeadline.js';

export interface RssReading {
  /** The smallest reading: the process at rest, not caught in the middle of a collection. */
  bytes: number;
  samples: number[];
}

/**
 * Reads a process's VmRSS `count` times, `intervalMs` apart, and keeps the smallest. A single
 * reading right after a burst of work measures where the garbage collector happened to be;
 * the start and the end of a run are sampled the same way, so they compare like with like.
 */
export async function settledRss(pid: number, count: number, intervalMs: number): Promise<RssReading> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(intervalMs);
    samples.push(processRssBytes(pid));
  }
  return { bytes: Math.min(...samples), samples };
}
