import * as Y from 'yjs';
import { entryKey, writerClientId } from '../shared/benchWriter.js';

/**
 * The (client, clock, length) triples an update carries, flattened. A writer's entry that
 * does not look like one (wrong key for its clock, wrong content) gets client -1, so it shows
 * as foreign instead of counting as delivered.
 */
export type UpdateRanges = readonly number[];

/** Updates up to this size are cached; a 5 MiB document state is decoded once and not kept. */
const maxCachedBytes = 64 * 1024;
const maxCachedEntries = 4096;

/**
 * Every receiver of a document gets byte-identical updates (each server encodes a broadcast
 * once), so one decode serves all of them: 300 receivers of one update cost one
 * Y.decodeUpdate and 299 map lookups, which keeps the load generator off the critical path.
 */
const cache = new Map<string, UpdateRanges>();

export function updateRanges(update: Uint8Array): UpdateRanges {
  if (update.length > maxCachedBytes) return decodeRanges(update);
  const key = Buffer.from(update.buffer, update.byteOffset, update.length).toString('latin1');
  let ranges = cache.get(key);
  if (ranges === undefined) {
    ranges = decodeRanges(update);
    // Entries matter only while a broadcast is being received; dropping them all is simplest.
    if (cache.size >= maxCachedEntries) cache.clear();
    cache.set(key, ranges);
  }
  return ranges;
}

function decodeRanges(update: Uint8Array): number[] {
  const ranges: number[] = [];
  for (const struct of Y.decodeUpdate(update).structs) {
    // Skip: a gap a merged update leaves between two ranges of one client (nothing arrived).
    if (struct instanceof Y.Skip) continue;
    const client = struct instanceof Y.Item && !isBenchEntry(struct) ? -1 : struct.id.client;
    const last = ranges.length - 3;
    if (last >= 0 && ranges[last] === client && ranges[last + 1] + ranges[last + 2] === struct.id.clock) ranges[last + 2] += struct.length;
    else ranges.push(client, struct.id.clock, struct.length);
  }
  return ranges;
}

/** A writer's update sets map key `w<writer>:<clock>`: one struct of length 1 (see BenchWriter). */
function isBenchEntry(item: Y.Item): boolean {
  const writer = item.id.client - writerClientId(0);
  return item.length === 1 && item.content instanceof Y.ContentAny && item.parentSub === entryKey(writer, item.id.clock);
}
