import { sleep } from './withDeadline.js';
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
}

/** Waits out the grace (and a margin), then reads RSS at rest, forces full GCs and reads again. */
export async function restingMemory(pid: number, inspector: ServerInspector, graceMs: number): Promise<RestingMemory> {
  await sleep(graceMs + 2_000);
  const atRest = await settledRss(pid, 10, 500);
  await inspector.collectGarbage();
  await sleep(1_000);
  const afterGc = await settledRss(pid, 5, 200);
  return { atRest, afterGc, heapUsedBytes: await inspector.heapUsedBytes() };
}
