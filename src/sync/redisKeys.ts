/** The Redis names that hold one document. */
export interface DocumentRedisKeys {
  /** Hash: compacted state `s`, the stream id it covers `id`, last appended id `last`, counters. */
  state: string;
  /** Stream of updates appended since (and a quarter compaction window before) the state. */
  stream: string;
  /** Pub/sub channel: appended entries and awareness, for nodes attached to the document. */
  channel: string;
}

export const defaultKeyPrefix = 'wiresocket';

/**
 * Names for one document. Every name carries the same `{hash tag}`, so all of them live in one
 * Redis Cluster slot and a Lua script may touch them together. The tag is the base64url of the
 * document key: a name may contain `{`, `}` or `:`, and a raw `}` would end the tag early and
 * split one document's keys over several slots.
 */
export function documentRedisKeys(prefix: string, docKey: string): DocumentRedisKeys {
  const base = `${prefix}:doc:{${Buffer.from(docKey, 'utf8').toString('base64url')}}`;
  return { state: `${base}:state`, stream: `${base}:stream`, channel: `${base}:events` };
}

/** The name of a document's lease `name` (same hash tag, so the same slot as its state). */
export function documentLeaseKey(prefix: string, docKey: string, name: string): string {
  return `${prefix}:doc:{${Buffer.from(docKey, 'utf8').toString('base64url')}}:lease:${name}`;
}

/** A prefix may not hold braces: the first `{...}` in a name is its hash tag. */
export function checkKeyPrefix(prefix: string): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(prefix) || /[{}]/.test(prefix)) {
    throw new Error(`invalid Redis key prefix ${JSON.stringify(prefix)}: 1-64 printable ASCII characters without spaces, "{" or "}"`);
  }
  return prefix;
}
