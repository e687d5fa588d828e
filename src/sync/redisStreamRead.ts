import type { StreamEntry } from './documentFeed.js';
import type { RedisCommandClient } from './redisScript.js';

/** Up to `count` entries of `stream` after id `after` (exclusive range, Redis 6.2+). */
export async function readStreamAfter(client: RedisCommandClient, stream: string, after: string, count: number): Promise<StreamEntry[]> {
  const reply = await client.callBuffer('XRANGE', stream, `(${after}`, '+', 'COUNT', count);
  if (!Array.isArray(reply)) throw new Error('unexpected XRANGE reply from Redis');
  return reply.map(parseEntry);
}

function parseEntry(raw: unknown): StreamEntry {
  if (!Array.isArray(raw) || !Buffer.isBuffer(raw[0]) || !Array.isArray(raw[1])) throw new Error('unexpected stream entry from Redis');
  const fields = new Map<string, Buffer>();
  const pairs: unknown[] = raw[1];
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const [name, value] = [pairs[index], pairs[index + 1]];
    if (Buffer.isBuffer(name) && Buffer.isBuffer(value)) fields.set(name.toString('latin1'), value);
  }
  const [nodeId, prev, update] = [fields.get('n'), fields.get('p'), fields.get('u')];
  if (!nodeId || !prev || !update) throw new Error('stream entry without its n/p/u fields');
  return {
    id: raw[0].toString('latin1'),
    prev: prev.toString('latin1'),
    nodeId: nodeId.toString('utf8'),
    // A copy: listeners keep updates, and a view would pin the whole reply buffer.
    update: new Uint8Array(update),
  };
}
