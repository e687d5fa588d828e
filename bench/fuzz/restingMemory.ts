import { readFileSync } from 'node:fs';
import { sleep } from '../shared/withDeadline.js';
import type { ServerInspector } from './serverInspector.js';
import { settledRss, type RssReading } from './settledRss.js';

/** The serve process's memory with no fuzz socket open and the sessions' grace over. */
export interface RestingMemory {
  /** As the collector left it: what an operator's `ps` shows. */
  atRest: RssReading;
  /** After two forced full collections: what the process really holds (the leak check). */
  afterGc: RssReading;
  /** The JS heap in use after those collections. */
  heapUsedBytes: number;
  /** After those collections: the heap V8 holds, external memory, array buffers, anonymous RSS. */
  breakdown: MemoryBreakdown;
}

export interface MemoryBreakdown {
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** RssAnon of /proc/<pid>/status: the process's own memory, without mapped files. */
  rssAnonBytes: number;
}

/**
 * Waits `restMs` (and a margin) for what ends by itself when nothing happens (session graces,
 * the compaction worker's idle stop), then reads RSS at rest, forces full GCs and reads again.
 */
export async function restingMemory(pid: number, inspector: ServerInspector, restMs: number): Promise<RestingMemory> {
  await sleep(restMs + 2_000);
  const atRest = await settledRss(pid, 10, 500);
  await inspector.collectGarbage();
  await sleep(1_000);
  const afterGc = await settledRss(pid, 5, 200);
  const usage = await inspector.memoryUsage();
  const breakdown = { heapTotalBytes: usage.heapTotal, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers, rssAnonBytes: rssAnon(pid) };
  return { atRest, afterGc, heapUsedBytes: await inspector.heapUsedBytes(), breakdown };
}

function rssAnon(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('RssAnon:'));
  return line ? Number.parseInt(line.slice('RssAnon:'.length), 10) * 1024 : 0;
}
