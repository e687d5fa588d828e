import type { StreamEntry } from './documentFeed.js';
import type { DocumentRedisKeys } from './redisKeys.js';
import type { RedisCommandClient } from './redisScript.js';
import { notInitialisedError, readAfterScript } from './redisScripts.js';
import { compareStreamIds } from './streamIds.js';

/**
 * Up to `count` entries after id `after`, in stream order, each linked to the one before it.
 * The first entry links to `after` only if the trim has not passed it; otherwise it links to
 * the trim's newest removed id, which the reader sees as a gap (and recovers from a snapshot).
 * An empty list when the document is gone.
 */
export async function readStreamAfter(client: RedisCommandClient, keys: DocumentRedisKeys, after: string, count: number): Promise<StreamEntry[]> {
  let reply: unknown;
  try {
    reply = await readAfterScript.run(client, [keys.state, keys.stream], [after, count]);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(notInitialisedError)) return [];
    throw error;
  }
  if (!Array.isArray(reply) || !Buffer.isBuffer(reply[0]) || !Array.isArray(reply[1])) throw new Error('unexpected catch-up reply from Redis');
  const cut = reply[0].toString('latin1');
  let prev = compareStreamIds(cut, after) > 0 ? cut : after;
  return (reply[1] as unknown[]).map((raw) => {
    const entry = parseEntry(raw, prev);
    prev = entry.id;
    return entry;
  });
}

function parseEntry(raw: unknown, prev: string): StreamEntry {
  if (!Array.isArray(raw) || !Buffer.isBuffer(raw[0]) || !Array.isArray(raw[1])) throw new Error('unexpected stream entry from Redis');
  const fields = new Map<string, Buffer>();
  const pairs: unknown[] = raw[1];
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const [name, value] = [pairs[index], pairs[index + 1]];
    if (Buffer.isBuffer(name) && Buffer.isBuffer(value)) fields.set(name.toString('latin1'), value);
  }
  const [writer, update] = [fields.get('n'), fields.get('u')];
  if (!writer || !update) throw new Error('stream entry without its n/u fields');
  return {
    id: raw[0].toString('latin1'),
    prev,
    writer: writer.toString('utf8'),
    // A copy: listeners keep updates, and a view would pin the whole reply buffer.
    update: new Uint8Array(update),
  };
}
