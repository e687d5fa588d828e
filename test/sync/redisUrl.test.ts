import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSyncLayer } from '../../src/sync/createSyncLayer.js';
import { documentRedisKeys } from '../../src/sync/redisKeys.js';
import { MemorySyncLayer } from '../../src/sync/memorySyncLayer.js';
import { parseRedisUrl } from '../../src/sync/redisUrl.js';

describe('parseRedisUrl', () => {
  it('reads redis:// with credentials, port and database', () => {
    assert.deepEqual(parseRedisUrl('redis://user:p%40ss@cache.internal:6380/2'), {
      kind: 'standalone',
      address: { host: 'cache.internal', port: 6380 },
      db: 2,
      username: 'user',
      password: 'p@ss',
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1'), { kind: 'standalone', address: { host: '127.0.0.1', port: 6379 }, db: 0, tls: false });
  });

  it('reads rediss:// as TLS', () => {
    const target = parseRedisUrl('rediss://:secret@redis.example.com:6390');
    assert.deepEqual(target, { kind: 'standalone', address: { host: 'redis.example.com', port: 6390 }, db: 0, password: 'secret', tls: true });
  });

  it('reads redis+cluster:// seed lists (and rediss+cluster:// for TLS)', () => {
    assert.deepEqual(parseRedisUrl('redis+cluster://127.0.0.1:7000,127.0.0.1:7001,[::1]:7002,other-host'), {
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
        { host: '::1', port: 7002 },
        { host: 'other-host', port: 6379 },
      ],
      tls: false,
    });
    const secure = parseRedisUrl('rediss+cluster://default:pw@a:1,b:2/');
    assert.deepEqual(secure, { kind: 'cluster', nodes: [{ host: 'a', port: 1 }, { host: 'b', port: 2 }], username: 'default', password: 'pw', tls: true });
  });

  for (const [url, reason] of [
    ['http://127.0.0.1:6379', 'unknown scheme'],
    ['127.0.0.1:6379', 'unknown scheme'],
    ['redis://127.0.0.1:6379/db', 'database number'],
    ['redis://127.0.0.1:6379?x=1', 'query'],
    ['redis+cluster://a:1,,b:2', 'is not host:port'],
    ['redis+cluster://a:99999', 'out of range'],
    ['redis+cluster://a:1/0', 'no path'],
  ] as const) {
    it(`rejects ${url} (${reason}), naming what is accepted`, () => {
      assert.throws(
        () => parseRedisUrl(url),
        (error: Error) => error.message.includes(reason) && error.message.includes('redis+cluster://') && error.message.includes('rediss://'),
      );
    });
  }

  it('never repeats a password in an error', () => {
    assert.throws(
      () => parseRedisUrl('redis://user:hunter2@host:6379/x'),
      (error: Error) => !error.message.includes('hunter2') && error.message.includes('***'),
    );
  });
});

describe('createSyncLayer', () => {
  it('builds the memory layer without a Redis URL and refuses a bad one', () => {
    assert.ok(createSyncLayer({ nodeId: 'n' }) instanceof MemorySyncLayer);
    assert.throws(() => createSyncLayer({ nodeId: 'n', redisUrl: 'memcached://x' }), /accepted: redis:\/\//);
  });
});

describe('documentRedisKeys', () => {
  it('puts the base64url of the document key in one hash tag, so "}" in a name cannot end it', () => {
    const keys = documentRedisKeys('p', 'tenant::app::a}b{c');
    const tag = Buffer.from('tenant::app::a}b{c').toString('base64url');
    for (const name of Object.values(keys)) assert.equal(/\{([^}]*)\}/.exec(name)?.[1], tag, name);
  });
});
