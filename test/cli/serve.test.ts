import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { main } from '../../src/cli.js';
import type { ShutdownSignalName, ShutdownSignals } from '../../src/cli/shutdownSignals.js';
import { openControlStores } from '../../src/routing/controlStores.js';
import { connectClient, destroyAll, eventually, nextClose, waitForSync } from '../helpers/yjsClient.js';
import { jwtPattern, runCli, startServe, useTempDataDir } from './cliProcess.js';

const dbUrlOf = (dataDir: string) => `file:${path.join(dataDir, 'wiresocket.db')}`;

describe('serve: first start and restart', () => {
  let dataDir: string;
  useTempDataDir((made) => {
    dataDir = made;
  });

  it('OPS-5: first start on an empty data dir creates dev/demo and prints the URL, a 24 h token and a client snippet', async () => {
    const serve = await startServe(['--data-dir', dataDir, '--log-level', 'warn']);
    assert.match(serve.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    const token = serve.banner.find((line) => jwtPattern.test(line));
    assert.ok(token, `a token line in:\n${serve.banner.join('\n')}`);
    const claims = decodeJwt(token);
    assert.deepEqual([claims.tenantId, claims.appId, claims.sub], ['dev', 'demo', 'dev-user']);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 24 * 3600);
    const snippet = `new WebsocketProvider('${serve.url}', 'my-document', ydoc, { protocols: ['Bearer', token] })`;
    assert.ok(serve.banner.some((line) => line.includes(snippet)), 'the client snippet');
    assert.ok(serve.banner.some((line) => line.includes(`const token = '${token}'`)));

    const a = connectClient(serve.url, 'my-document', { token });
    const b = connectClient(serve.url, 'my-document', { token });
    await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
    a.doc.getText('t').insert(0, 'hello from the banner token');
    await eventually(() => b.doc.getText('t').toString() === 'hello from the banner token');
    destroyAll([a.provider, b.provider]);
    assert.equal((await serve.stop()).code, 0);
  });

  it('OPS-5: a second start prints no new token and creates no second app', async () => {
    const serve = await startServe(['--data-dir', dataDir, '--log-level', 'warn']);
    assert.ok(!serve.banner.some((line) => jwtPattern.test(line) || line.includes('eyJ')), serve.banner.join('\n'));
    assert.match(serve.banner.join('\n'), /Get a token: wiresocket token dev\/demo --user you/);
    const [apps, tenants] = await Promise.all([
      runCli(['apps', 'list', '--data-dir', dataDir]),
      runCli(['tenants', 'list', '--data-dir', dataDir]),
    ]);
    assert.deepEqual(apps.stdout.trim().split('\n').map((line) => line.split('\t')[0]), ['dev/demo']);
    assert.equal(tenants.stdout, 'dev\tmaxDocuments=1000\tliveDocuments=0\n');
    assert.equal((await serve.stop()).code, 0);
  });
});

describe('serve: graceful shutdown', () => {
  let dataDir: string;
  useTempDataDir((made) => {
    dataDir = made;
  });

  it('OPS-4: SIGTERM closes a connected stock client with 1012, exits 0 within 10 s and releases the libSQL file', async () => {
    const serve = await startServe(['--data-dir', dataDir, '--log-level', 'warn']);
    const token = serve.banner.find((line) => jwtPattern.test(line)) ?? '';
    const client = connectClient(serve.url, 'shutdown-doc', { token });
    await waitForSync(client.provider);
    const closed = nextClose(client.provider, 10_000);
    const exit = await serve.stop('SIGTERM');
    const close = await closed;
    destroyAll([client.provider]);
    assert.equal(close.code, 1012);
    assert.deepEqual([exit.code, exit.signal], [0, null], serve.stderr());
    assert.ok(exit.elapsedMs < 10_000, `exited after ${exit.elapsedMs} ms`);
    const stores = await openControlStores({ url: dbUrlOf(dataDir) });
    try {
      await stores.tenants.createTenant({ tenantId: 'after-shutdown', maxDocuments: 1 });
      assert.equal(await stores.routing.countTenantDocuments('dev'), 0, 'the shutdown unpinned its documents');
    } finally {
      await stores.close();
    }
  });

  it('OPS-4: the shutdown path runs in process with injected signals and resolves 0', async () => {
    const signals = fakeSignals();
    let stdout = '';
    const exitCode = main(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'], {
      env: {},
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      signals: () => signals,
    });
    await eventually(() => stdout.includes('Get a token:'), 10_000, 'the banner');
    const url = /wiresocket serving (\S+)/.exec(stdout)?.[1] ?? '';
    const token = (await runCli(['token', 'dev/demo', '--user', 'in-process', '--data-dir', dataDir])).stdout.trim();
    const client = connectClient(url, 'in-process', { token });
    await waitForSync(client.provider);
    const closed = nextClose(client.provider);
    signals.send('SIGINT');
    assert.equal(await exitCode, 0);
    assert.equal((await closed).code, 1012);
    destroyAll([client.provider]);
    assert.equal(signals.disposed, true, 'signal listeners removed');
    assert.deepEqual(signals.exits, [], 'a clean shutdown does not force the exit');
  });

  it('OPS-4: a second signal during shutdown forces the exit with a non-zero code', async () => {
    const signals = fakeSignals();
    let stdout = '';
    let stderr = '';
    const exitCode = main(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'], {
      env: {},
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      signals: () => signals,
    });
    await eventually(() => stdout.includes('Get a token:'), 10_000, 'the banner');
    const healthz = `http://${/wiresocket serving ws:\/\/(\S+)/.exec(stdout)?.[1] ?? ''}/healthz`;
    signals.send('SIGTERM');
    signals.send('SIGINT');
    assert.equal(await exitCode, 1);
    assert.deepEqual(signals.exits, [1]);
    assert.match(stderr, /^wiresocket: shutdown did not complete \(second signal\); exiting\n$/);
    // The graceful close goes on in the background here (a real process would be gone): let it end.
    await eventuallyAsync(async () => !(await fetch(healthz).then(() => true, () => false)));
  });
});

async function eventuallyAsync(predicate: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Signals a test sends by hand (kept until asked for); records forced exits instead of exiting. */
function fakeSignals(): ShutdownSignals & { send(signal: ShutdownSignalName): void; exits: number[]; disposed: boolean } {
  const waiting: ((signal: ShutdownSignalName) => void)[] = [];
  const sent: ShutdownSignalName[] = [];
  const fake = {
    exits: [] as number[],
    disposed: false,
    next: () => {
      const early = sent.shift();
      return early ? Promise.resolve(early) : new Promise<ShutdownSignalName>((resolve) => waiting.push(resolve));
    },
    send: (signal: ShutdownSignalName) => {
      const waiter = waiting.shift();
      if (waiter) waiter(signal);
      else sent.push(signal);
    },
    exit: (code: number) => void fake.exits.push(code),
    dispose: () => void (fake.disposed = true),
  };
  return fake;
}
