import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadServeConfig, loadStoreConfig, serveDefaults, serveFlagNames } from '../../src/config.js';
import { freePort, runCli, startServe, useTempDataDir } from './cliProcess.js';

describe('OPS-7: loadServeConfig', () => {
  it('OPS-7: defaults serve the embedded shape', () => {
    const config = loadServeConfig({}, {});
    assert.equal(config.port, 1234);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.region, 'local');
    assert.equal(config.graceMs, 10_000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dataDir, path.resolve(serveDefaults.dataDir));
    assert.equal(config.dbUrl, `file:${path.resolve('.wiresocket', 'wiresocket.db')}`);
    assert.equal(config.nodeId, undefined);
  });

  it('OPS-7: a WIRESOCKET_* variable beats the default and a flag beats the variable', () => {
    const env = { WIRESOCKET_PORT: '4000', WIRESOCKET_GRACE_MS: '250', WIRESOCKET_REGION: 'eu' };
    assert.deepEqual(pick(loadServeConfig({}, env)), { port: 4000, graceMs: 250, region: 'eu' });
    assert.deepEqual(pick(loadServeConfig({ port: '5000', 'grace-ms': '0' }, env)), { port: 5000, graceMs: 0, region: 'eu' });
  });

  it('OPS-7: --data-dir places the database; --db-url and WIRESOCKET_DB_URL override it', () => {
    const dir = path.resolve('some', 'dir');
    assert.equal(loadServeConfig({ 'data-dir': dir }, {}).dbUrl, `file:${path.join(dir, 'wiresocket.db')}`);
    assert.equal(loadServeConfig({ 'data-dir': dir }, { WIRESOCKET_DB_URL: 'libsql://db.example' }).dbUrl, 'libsql://db.example');
    assert.equal(loadServeConfig({ 'db-url': 'file:x.db' }, { WIRESOCKET_DB_URL: 'libsql://db.example' }).dbUrl, 'file:x.db');
    assert.deepEqual(loadStoreConfig({}, { WIRESOCKET_DATA_DIR: dir, WIRESOCKET_DB_AUTH_TOKEN: 't0k' }), {
      dbUrl: `file:${path.join(dir, 'wiresocket.db')}`,
      dbAuthToken: 't0k',
    });
  });

  it('OPS-7: --db-url and WIRESOCKET_DB_URL take a PostgreSQL URL; a libSQL token beside it is refused by name', () => {
    const pgUrl = 'postgres://ws:secret@db.internal:5432/wiresocket';
    assert.equal(loadServeConfig({ 'db-url': pgUrl }, {}).dbUrl, pgUrl);
    assert.equal(loadServeConfig({}, { WIRESOCKET_DB_URL: 'postgresql://db/ws' }).dbUrl, 'postgresql://db/ws');
    assert.equal(loadServeConfig({ 'db-url': pgUrl }, {}).storageUrl, pgUrl, 'boards follow the control store by default');
    assert.deepEqual(loadStoreConfig({ 'db-url': pgUrl }, {}), { dbUrl: pgUrl, dbAuthToken: undefined });
    assert.throws(() => loadServeConfig({ 'db-url': pgUrl, 'db-auth-token': 't0k' }, {}), /^ConfigError: --db-auth-token \(WIRESOCKET_DB_AUTH_TOKEN\) is for libSQL\/Turso/);
    assert.throws(() => loadStoreConfig({ 'db-url': pgUrl }, { WIRESOCKET_DB_AUTH_TOKEN: 't0k' }), /--db-auth-token/);
    assert.throws(() => loadServeConfig({ 'db-url': 'mysql://db/ws' }, {}), /--db-url must be a libSQL URL \(file:, libsql:, http\(s\):, ws\(s\):\) or postgres:\/\/ \/ postgresql:\/\//);
  });

  it('OPS-7: an invalid flag value names the flag, an invalid variable names the variable', () => {
    assert.throws(() => loadServeConfig({ port: 'abc' }, {}), {
      name: 'ConfigError',
      message: '--port must be an integer from 0 to 65535; got "abc"',
    });
    assert.throws(() => loadServeConfig({}, { WIRESOCKET_GRACE_MS: '-1' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^WIRESOCKET_GRACE_MS \(environment\) must be an integer number of milliseconds/);
      return true;
    });
    // The flag is what counts: a bad flag is refused even when the variable is fine.
    assert.throws(() => loadServeConfig({ port: '70000' }, { WIRESOCKET_PORT: '80' }), /^ConfigError: --port /);
    assert.throws(() => loadServeConfig({ 'log-level': 'loud' }, {}), /--log-level must be fatal, error, warn, info/);
    assert.throws(() => loadServeConfig({ port: true }, {}), /--port needs a value/);
  });

  it('CLUSTER-9/OPS-7: cluster settings: node timeout (15 s) at least twice the heartbeat interval, and the Redis key TTL, prefix and compaction window', () => {
    const config = loadServeConfig({}, {});
    assert.deepEqual(
      [config.nodeTimeoutMs, config.heartbeatIntervalMs, config.redisKeyTtlSeconds, config.redisKeyPrefix, config.redisCompactEveryUpdates, config.redisCompactEveryBytes],
      [15_000, 5_000, 86_400, 'wiresocket', 500, 1024 * 1024],
    );
    const env = { WIRESOCKET_NODE_TIMEOUT_MS: '3000', WIRESOCKET_REDIS_KEY_TTL_SECONDS: '600', WIRESOCKET_REDIS_KEY_PREFIX: 'staging' };
    const set = loadServeConfig({ 'heartbeat-interval-ms': '500', 'redis-compact-every-updates': '50', 'redis-compact-every-bytes': '65536' }, env);
    assert.deepEqual(
      [set.nodeTimeoutMs, set.heartbeatIntervalMs, set.redisKeyTtlSeconds, set.redisKeyPrefix, set.redisCompactEveryUpdates, set.redisCompactEveryBytes],
      [3_000, 500, 600, 'staging', 50, 65_536],
    );
    assert.throws(() => loadServeConfig({ 'node-timeout-ms': '6000' }, {}), /--node-timeout-ms \(6000\) must be at least twice --heartbeat-interval-ms \(5000\)/);
    assert.throws(() => loadServeConfig({ 'redis-key-prefix': 'a{b}' }, {}), /--redis-key-prefix must be 1-64 printable ASCII characters without spaces, "\{" or "\}"/);
    assert.throws(() => loadServeConfig({}, { WIRESOCKET_REDIS_KEY_TTL_SECONDS: '5' }), /^ConfigError: WIRESOCKET_REDIS_KEY_TTL_SECONDS \(environment\) must be/);
  });

  it('PERF-5/OPS-7: the coalescing window runs from --coalesce-ms (10) to --coalesce-max-ms (25); a ceiling below the floor names both flags', () => {
    assert.deepEqual(pickWindow(loadServeConfig({}, {})), { coalesceMs: 10, coalesceMaxMs: 25 });
    assert.deepEqual(pickWindow(loadServeConfig({ 'coalesce-ms': '0' }, {})), { coalesceMs: 0, coalesceMaxMs: 25 });
    assert.deepEqual(pickWindow(loadServeConfig({ 'coalesce-ms': '50' }, {})), { coalesceMs: 50, coalesceMaxMs: 50 }, 'a floor above the default ceiling alone is a fixed window');
    assert.deepEqual(pickWindow(loadServeConfig({}, { WIRESOCKET_COALESCE_MAX_MS: '40' })), { coalesceMs: 10, coalesceMaxMs: 40 });
    assert.throws(() => loadServeConfig({ 'coalesce-ms': '20', 'coalesce-max-ms': '15' }, {}), {
      name: 'ConfigError',
      message: '--coalesce-max-ms (15) must be at least --coalesce-ms (20)',
    });
    assert.throws(() => loadServeConfig({ 'coalesce-max-ms': 'x' }, {}), /--coalesce-max-ms must be an integer number of milliseconds from 0 to 1000/);
  });

  it('OPS-7: every serve setting has a flag the CLI accepts', () => {
    for (const flag of ['port', 'host', 'data-dir', 'db-url', 'region', 'node-id', 'grace-ms', 'max-message-bytes', 'handshake-timeout-ms', 'log-level', 'node-timeout-ms', 'redis-key-ttl-seconds', 'redis-key-prefix', 'redis-compact-every-updates', 'redis-compact-every-bytes']) {
      assert.ok(serveFlagNames.includes(flag), flag);
    }
  });
});

describe('OPS-7: the serve command line', () => {
  let dir: string;
  useTempDataDir((made) => {
    dir = made;
  });

  it('OPS-7: --port beats WIRESOCKET_PORT, which beats the default', async () => {
    const [flagPort, envPort] = [await freePort(), await freePort()];
    const byFlag = await startServe(['--data-dir', dir, '--port', String(flagPort), '--log-level', 'warn'], { WIRESOCKET_PORT: String(envPort) });
    assert.equal(byFlag.url, `ws://127.0.0.1:${flagPort}`);
    assert.equal((await byFlag.stop()).code, 0);
    const byEnv = await startServe(['--data-dir', dir, '--log-level', 'warn'], { WIRESOCKET_PORT: String(envPort) });
    assert.equal(byEnv.url, `ws://127.0.0.1:${envPort}`);
    assert.equal((await byEnv.stop()).code, 0);
  });

  it('OPS-7: invalid values stop serve with exit 2 and a message naming the flag or variable', async () => {
    const [badFlag, badEnv, unknownFlag, unknownCommand, noCommand, help] = await Promise.all([
      runCli(['serve', '--port', 'abc', '--data-dir', dir]),
      runCli(['serve', '--data-dir', dir], { WIRESOCKET_GRACE_MS: '-1' }),
      runCli(['serve', '--prot', '1234', '--data-dir', dir]),
      runCli(['srve']),
      runCli([]),
      runCli(['--help']),
    ]);
    assert.deepEqual(badFlag, { code: 2, stdout: '', stderr: 'wiresocket: --port must be an integer from 0 to 65535; got "abc"\n' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /^wiresocket: WIRESOCKET_GRACE_MS \(environment\) must be an integer number of milliseconds from 0 to 86400000; got "-1"\n$/);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /^wiresocket: unknown option --prot\n\nUsage: wiresocket <command>/);
    assert.equal(unknownCommand.code, 2);
    assert.match(unknownCommand.stderr, /^wiresocket: unknown command "srve"\n\nUsage: wiresocket/);
    assert.equal(noCommand.code, 2);
    assert.deepEqual([help.code, help.stderr], [0, '']);
    assert.match(help.stdout, /^Usage: wiresocket <command> \[options\]/);
  });
});

function pick(config: { port: number; graceMs: number; region: string }) {
  return { port: config.port, graceMs: config.graceMs, region: config.region };
}

describe('config: the Redis sync layer', () => {
  it('OPS-7: --redis-url (or WIRESOCKET_REDIS_URL) selects Redis; unset means the embedded memory layer', () => {
    assert.equal(loadServeConfig({}, {}).redisUrl, undefined);
    assert.equal(loadServeConfig({}, { WIRESOCKET_REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(
      loadServeConfig({ 'redis-url': 'redis+cluster://10.0.0.1:7000,10.0.0.2:7000' }, { WIRESOCKET_REDIS_URL: 'redis://other:6379' }).redisUrl,
      'redis+cluster://10.0.0.1:7000,10.0.0.2:7000',
    );
    assert.throws(() => loadServeConfig({ 'redis-url': 'ftp://x' }, {}), /--redis-url must be redis:\/\/, rediss:\/\/ or redis\+cluster/);
    assert.throws(() => loadServeConfig({}, { WIRESOCKET_REDIS_URL: 'localhost:6379' }), /WIRESOCKET_REDIS_URL \(environment\)/);
  });
});

function pickWindow(config: { coalesceMs: number; coalesceMaxMs: number }) {
  return { coalesceMs: config.coalesceMs, coalesceMaxMs: config.coalesceMaxMs };
}

describe('config: regions (issue 15)', () => {
  const secret = 'x'.repeat(32);

  it('REGION-1/OPS-7: --advertise-url and --cluster-secret, and their variables; unset by default', () => {
    const defaults = loadServeConfig({}, {});
    assert.equal(defaults.advertiseUrl, undefined);
    assert.equal(defaults.clusterSecret, undefined);
    const fromEnv = loadServeConfig({}, { WIRESOCKET_ADVERTISE_URL: 'wss://a1.example.com/', WIRESOCKET_CLUSTER_SECRET: secret });
    assert.equal(fromEnv.advertiseUrl, 'wss://a1.example.com', 'a trailing slash is dropped');
    assert.equal(fromEnv.clusterSecret, secret);
    const fromFlags = loadServeConfig({ 'advertise-url': 'ws://10.0.0.5:1234', 'cluster-secret': `${secret}!` }, { WIRESOCKET_CLUSTER_SECRET: secret });
    assert.equal(fromFlags.advertiseUrl, 'ws://10.0.0.5:1234');
    assert.equal(fromFlags.clusterSecret, `${secret}!`);
  });

  it('REGION-1/OPS-7: a bad advertise url or a short secret names the flag or variable', () => {
    assert.throws(() => loadServeConfig({ 'advertise-url': 'http://a1:1234' }, {}), /^ConfigError: --advertise-url must be a ws:\/\/ or wss:\/\/ URL/);
    assert.throws(() => loadServeConfig({ 'advertise-url': 'ws://a1:1234/path' }, {}), /--advertise-url must be/);
    assert.throws(() => loadServeConfig({}, { WIRESOCKET_CLUSTER_SECRET: 'short' }), /^ConfigError: WIRESOCKET_CLUSTER_SECRET \(environment\) must be at least 32 characters/);
  });
});
