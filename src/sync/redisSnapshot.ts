import * as Y from 'yjs';
import type { DocumentRedisKeys } from './redisKeys.js';
import type { RedisCommandClient } from './redisScript.js';
import { snapshotScript } from './redisScripts.js';

/** One document as the snapshot script read it, in one atomic step. */
export interface RedisSnapshot {
  /** The compacted state (a Yjs V1 update). */
  state: Uint8Array;
  /** The last stream id the compacted state covers. */
  coveredId: string;
  /** The last appended id: the state plus `entries` cover everything up to it. */
  last: string;
  epoch: string;
  /** Entries after `coveredId`, in stream order. */
  entries: Array<{ id: string; update: Uint8Array }>;
}

export async function readSnapshot(client: RedisCommandClient, keys: DocumentRedisKeys, ttlSeconds: number): Promise<RedisSnapshot> {
  const reply = await snapshotScript.run(client, [keys.state, keys.stream], [ttlSeconds]);
  if (!Array.isArray(reply) || reply.length < 4 || reply.length % 2 !== 0) throw new Error('unexpected snapshot reply from Redis');
  const parts = reply.map((part, index) => {
    if (!Buffer.isBuffer(part)) throw new Error(`unexpected snapshot reply from Redis (part ${index})`);
    return part;
  });
  const entries: RedisSnapshot['entries'] = [];
  for (let index = 4; index < parts.length; index += 2) {
    entries.push({ id: parts[index].toString('latin1'), update: parts[index + 1] });
  }
  return {
    state: parts[0],
    coveredId: parts[1].toString('latin1'),
    last: parts[2].toString('latin1'),
    epoch: parts[3].toString('latin1'),
    entries,
  };
}

/** The state and the entries after it as one update (a fresh copy, never a view of a reply). */
export function mergedState(snapshot: RedisSnapshot): Uint8Array {
  if (snapshot.entries.length === 0) return new Uint8Array(snapshot.state);
  return Y.mergeUpdates([snapshot.state, ...snapshot.entries.map(({ update }) => update)]);
}
