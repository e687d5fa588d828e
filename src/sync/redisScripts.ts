import { RedisScript } from './redisScript.js';

/**
 * The Lua scripts of the Redis sync layer. Each touches one document's keys only (KEYS[1] the
 * state hash, KEYS[2] the stream; same hash tag, same cluster slot) and runs atomically, which
 * is what makes "nothing falls between" and "two compactors cannot lose an update" hold.
 *
 * State hash fields: `s` compacted state (a Yjs V1 update), `id` the last stream id `s` covers,
 * `last` the id of the last appended entry (the chain readers follow), `cut` the newest id the
 * trim removed (a reader whose cursor is older has lost entries), `pn`/`pb` count and bytes of
 * entries after `id` (the compaction trigger), `ep` an epoch that changes when the document is
 * deleted and initialised again (so a compaction begun before cannot write into the new one).
 *
 * Stream entry fields: `n` the writer tag of the appending node (writerTag.ts), `u` the update.
 * Entries do not store the previous id (it would be a third of an entry's memory): within the
 * stream the previous entry is the one before, and `cut` tells a reader the trim passed it.
 */

/** Error prefix of appends/reads on a document that was never initialised or was deleted. */
export const notInitialisedError = 'WSNOINIT';

const missing = `redis.error_reply('${notInitialisedError} the document is not initialised')`;

const refreshTtl = `
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])`;

/** ARGV: ttl seconds, empty state, epoch. Creates the state if absent; refreshes the TTL. Returns 1 when it created it, else 0. */
export const initScript = new RedisScript(
  'init',
  `
local created = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- A stream without its state is a leftover (deleted or expired state): start clean.
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 's', ARGV[2], 'id', '0-0', 'last', '0-0', 'cut', '0-0', 'pn', 0, 'pb', 0, 'ep', ARGV[3])
  created = 1
end${refreshTtl}
return created`,
);

/**
 * ARGV: ttl seconds, writer tag, update, channel, publish command (PUBLISH or SPUBLISH).
 * Appends one entry and publishes it with the id of the previous one in the same atomic step, so
 * channel messages come in stream order and a reader can tell one is missing. Returns { id,
 * pending count, pending bytes, epoch }.
 */
export const appendScript = new RedisScript(
  'append',
  `
local h = redis.call('HMGET', KEYS[1], 'last', 'ep')
local prev = h[1]
if not prev then return ${missing} end
local id = redis.call('XADD', KEYS[2], '*', 'n', ARGV[2], 'u', ARGV[3])
redis.call('HSET', KEYS[1], 'last', id)
local count = redis.call('HINCRBY', KEYS[1], 'pn', 1)
local bytes = redis.call('HINCRBY', KEYS[1], 'pb', string.len(ARGV[3]))${refreshTtl}
redis.call(ARGV[5], ARGV[4], 'u ' .. id .. ' ' .. prev .. ' ' .. string.len(ARGV[2]) .. '\\n' .. ARGV[2] .. ARGV[3])
return { id, count, bytes, h[2] }`,
);

/**
 * ARGV: ttl seconds. Reads the state, the id it covers, the last id, the epoch and every entry
 * after the covered id in one atomic step. Returns { s, id, last, ep, entryId1, update1, ... }.
 */
export const snapshotScript = new RedisScript(
  'snapshot',
  `
local h = redis.call('HMGET', KEYS[1], 's', 'id', 'last', 'ep')
if not h[1] then return ${missing} end${refreshTtl}
local out = { h[1], h[2], h[3], h[4] }
for _, entry in ipairs(redis.call('XRANGE', KEYS[2], '(' .. h[2], '+')) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'u' then
      out[#out + 1] = entry[1]
      out[#out + 1] = fields[i + 1]
    end
  end
end
return out`,
);

/**
 * ARGV: epoch, covered id read by the compactor, new covered id, merged state, entries merged,
 * bytes merged, trim id, the newest id the trim removes. Compare-and-set: writes only if the state still covers what the
 * compactor read (another compactor, a delete or a re-init makes it a no-op returning 0; success
 * returns the { count, bytes } still pending after the new state). Then trims the stream below
 * the trim id, which the compactor picks a fraction of a compaction window before the new
 * covered id (never after it): a reader that fell behind by less than that catches up from the
 * stream, not from a snapshot.
 */
export const compactScript = new RedisScript(
  'compact',
  `
local h = redis.call('HMGET', KEYS[1], 'id', 'ep')
if h[1] ~= ARGV[2] or h[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[4], 'id', ARGV[3])
local count = redis.call('HINCRBY', KEYS[1], 'pn', -tonumber(ARGV[5]))
local bytes = redis.call('HINCRBY', KEYS[1], 'pb', -tonumber(ARGV[6]))
redis.call('XTRIM', KEYS[2], 'MINID', ARGV[7])
redis.call('HSET', KEYS[1], 'cut', ARGV[8])
return { count, bytes }`,
);

/**
 * ARGV: ttl seconds. The periodic check of an attached document: returns { last id, epoch }
 * (nil when the document is gone) and refreshes the TTL once half of it has run out, so
 * documents that are open but quiet are not expired under their sessions.
 */
export const touchScript = new RedisScript(
  'touch',
  `
local h = redis.call('HMGET', KEYS[1], 'last', 'ep')
if not h[1] then return false end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[1]) / 2 then${refreshTtl}
end
return h`,
);

/**
 * ARGV: after id, count. A catch-up read: up to `count` entries after the id, in stream order,
 * with the state's `cut` read in the same step. Returns { cut, entries } (an error when the
 * document is gone).
 */
export const readAfterScript = new RedisScript(
  'read-after',
  `
local cut = redis.call('HGET', KEYS[1], 'cut')
if not cut then return ${missing} end
return { cut, redis.call('XRANGE', KEYS[2], '(' .. ARGV[1], '+', 'COUNT', ARGV[2]) }`,
);

/**
 * KEYS[1] the lease; ARGV: holder, ttl ms. Takes a free (or expired) lease or renews this
 * holder's own; 1 when the caller holds it afterwards, 0 when another holder does.
 */
export const leaseScript = new RedisScript(
  'lease',
  `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
);

export const allScripts = [initScript, appendScript, snapshotScript, compactScript, touchScript, readAfterScript, leaseScript];
