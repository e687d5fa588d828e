import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { postgresGate, PostgresSchemas, urlWithSchema } from '../helpers/postgresTestDatabase.js';
import { verifyWebhook, WebhookReceiver } from '../helpers/webhookReceiver.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';
import { jwtPattern, runCli, startServe, useTempDataDir, type CliResult } from '../cli/cliProcess.js';

const addedLine = /^added webhook endpoint (ep_[0-9a-f]{24}) for (\S+): (\S+) \(events: (\S+)\)$/m;
const secretLine = /^secret: (whsec_[A-Za-z0-9+/=]+)$/m;

function added(result: CliResult): { endpointId: string; secret: string } {
  assert.equal(result.code, 0, result.stderr);
  const endpointId = addedLine.exec(result.stdout)?.[1];
  const secret = secretLine.exec(result.stdout)?.[1];
  assert.ok(endpointId && secret, result.stdout);
  return { endpointId, secret };
}

describe('HOOK-1: wiresocket webhooks add / list / remove / deliveries / retry', () => {
  let dir = '';
  let cli: (...args: string[]) => Promise<CliResult>;
  useTempDataDir((made) => {
    dir = made;
    cli = (...args) => runCli([...args, '--data-dir', dir]);
  });

  it('HOOK-1/HOOK-11: add prints the id and secret once, refuses private addresses without the flag, and bad input names the flag', async () => {
    assert.equal((await cli('tenants', 'create', 'acme')).code, 0);
    assert.equal((await cli('apps', 'create', 'acme/web')).code, 0);
    const [loopback, metadata, badEvents, noUrl, ftp, noApp] = await Promise.all([
      cli('webhooks', 'add', 'acme/web', '--url', 'http://127.0.0.1:9/hooks'),
      cli('webhooks', 'add', 'acme/web', '--url', 'http://169.254.169.254/latest'),
      cli('webhooks', 'add', 'acme/web', '--url', 'https://hooks.example.com/x', '--events', 'document.created,document.exploded'),
      cli('webhooks', 'add', 'acme/web'),
      cli('webhooks', 'add', 'acme/web', '--url', 'ftp://hooks.example.com/'),
      cli('webhooks', 'add', 'acme/nope', '--url', 'http://127.0.0.1:9/', '--allow-private-webhooks'),
    ]);
    assert.equal(loopback.code, 2);
    assert.match(loopback.stderr, /127\.0\.0\.1.*loopback, private, link-local or metadata address \(allow with --allow-private-webhooks\)/);
    assert.equal(metadata.code, 2);
    assert.match(metadata.stderr, /169\.254\.169\.254/);
    assert.equal(badEvents.code, 2);
    assert.match(badEvents.stderr, /--events takes a comma-separated list of document\.created, .*"document\.created,document\.exploded"/);
    assert.match(noUrl.stderr, /webhooks add needs --url URL/);
    assert.match(ftp.stderr, /--url must be http:\/\/ or https:\/\//);
    assert.equal(noApp.code, 1);
    assert.match(noApp.stderr, /app acme\/nope does not exist/);
    assert.match((await cli('webhooks', 'list')).stdout, /^$/, 'nothing was stored');

    const viaEnv = await runCli(['webhooks', 'add', 'acme/web', '--url', 'http://127.0.0.1:9/a', '--data-dir', dir], { WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS: 'true' });
    const first = added(viaEnv);
    const second = added(await cli('webhooks', 'add', 'acme/web', '--url', 'http://localhost:9/b', '--events', 'document.ended,board.archived', '--allow-private-webhooks'));
    assert.notEqual(first.secret, second.secret);
    const list = await cli('webhooks', 'list', 'acme/web');
    assert.equal(list.code, 0);
    assert.equal(list.stdout.includes('whsec_'), false, 'list never prints secrets');
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], new RegExp(`^${first.endpointId}\tacme/web\thttp://127\\.0\\.0\\.1:9/a\tevents=all\tenabled\tcreated=`));
    assert.match(lines[1], new RegExp(`^${second.endpointId}\tacme/web\thttp://localhost:9/b\tevents=document\\.ended,board\\.archived\tenabled`));
    assert.deepEqual(await cli('webhooks', 'deliveries', first.endpointId), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await cli('webhooks', 'remove', second.endpointId), { code: 0, stdout: `removed webhook endpoint ${second.endpointId} and its deliveries\n`, stderr: '' });
    const [again, missingDeliveries, missingRetry] = await Promise.all([
      cli('webhooks', 'remove', second.endpointId),
      cli('webhooks', 'deliveries', 'ep_none'),
      cli('webhooks', 'retry', 'msg_none'),
    ]);
    assert.match(again.stderr, /does not exist/);
    assert.match(missingDeliveries.stderr, /webhook endpoint "ep_none" does not exist/);
    assert.match(missingRetry.stderr, /webhook delivery "msg_none" does not exist/);
    assert.equal((await cli('webhooks', 'list')).stdout.trim().split('\n').length, 1);
  });
});

describe('HOOK-4: a delivery outlives a killed process', () => {
  let dir = '';
  useTempDataDir((made) => {
    dir = made;
  });

  it('HOOK-4/HOOK-5: serve killed with -9 holding an undelivered outbox row delivers it after the restart, same webhook-id', async () => {
    const receiver = await WebhookReceiver.start((n) => (n === 1 ? 503 : 204));
    try {
      const first = await startServe(['--data-dir', dir, '--allow-private-webhooks']);
      const token = first.banner.find((line) => jwtPattern.test(line)) ?? '';
      const hook = added(await runCli(['webhooks', 'add', 'dev/demo', '--url', receiver.url, '--events', 'document.created', '--allow-private-webhooks', '--data-dir', dir]));
      const client = connectClient(first.url, 'survivor', { token });
      await waitForSync(client.provider);
      await receiver.waitFor(1, 10_000);
      // The failed attempt is recorded and its retry is seconds away: now the process dies.
      const recorded = /^msg_\S+\tdocument\.created\tpending\tattempts=1\tlast-status=503\t/m;
      await eventually(async () => recorded.test((await runCli(['webhooks', 'deliveries', hook.endpointId, '--data-dir', dir])).stdout), 5_000, 'the 503 recorded');
      first.child.kill('SIGKILL');
      await first.exited;
      destroyAll([client.provider]);
      assert.equal(receiver.received.length, 1);
      const second = await startServe(['--data-dir', dir, '--allow-private-webhooks']);
      try {
        await receiver.waitFor(2, 15_000);
        const ids = receiver.received.map((request) => request.headers['webhook-id']);
        assert.equal(ids[0], ids[1], 'the same webhook-id after the restart');
        assert.deepEqual(verifyWebhook(hook.secret, receiver.received[1]).data, { tenantId: 'dev', appId: 'demo', documentName: 'survivor', region: 'local', epoch: 1 });
        await eventually(async () => (await runCli(['webhooks', 'deliveries', hook.endpointId, '--data-dir', dir])).stdout.includes('\tdelivered\tattempts=2\tlast-status=204'), 5_000, 'delivered');
        const deliveryId = String(ids[0]);
        assert.equal((await runCli(['webhooks', 'deliveries', hook.endpointId, '--failed', '--data-dir', dir])).stdout, '');
        const retried = await runCli(['webhooks', 'retry', deliveryId, '--data-dir', dir]);
        assert.equal(retried.stdout, `delivery ${deliveryId} is due again (same webhook-id; a fresh 24 h of retries)\n`);
        await receiver.waitFor(3, 10_000);
        assert.equal(receiver.received[2].headers['webhook-id'], deliveryId);
      } finally {
        await second.stop();
      }
    } finally {
      await receiver.close();
    }
  });
});

describe('HOOK-4: a node restarted under its id takes back the attempt it died in', () => {
  let dir = '';
  useTempDataDir((made) => {
    dir = made;
  });

  it('HOOK-4/HOOK-9: killed with -9 while an attempt hangs, the restarted node sends it again at once, not after the 60 s lease', async () => {
    const receiver = await WebhookReceiver.start((n) => (n === 1 ? 'hang' : 204));
    const args = ['--data-dir', dir, '--allow-private-webhooks', '--node-id', 'hook-node'];
    try {
      const first = await startServe(args);
      const token = first.banner.find((line) => jwtPattern.test(line)) ?? '';
      added(await runCli(['webhooks', 'add', 'dev/demo', '--url', receiver.url, '--events', 'document.created', '--allow-private-webhooks', '--data-dir', dir]));
      const client = connectClient(first.url, 'in-flight', { token });
      await waitForSync(client.provider);
      await receiver.waitFor(1, 10_000);
      first.child.kill('SIGKILL');
      await first.exited;
      destroyAll([client.provider]);
      const restarted = Date.now();
      const second = await startServe(args);
      try {
        await receiver.waitFor(2, 20_000);
        assert.ok(Date.now() - restarted < 30_000, 'well before the lease ran out');
        assert.equal(receiver.received[0].headers['webhook-id'], receiver.received[1].headers['webhook-id']);
      } finally {
        await second.stop();
      }
    } finally {
      await receiver.close();
    }
  });
});

const postgres = await postgresGate();

describe('HOOK-1: webhooks commands on a PostgreSQL control store', { skip: postgres.skip }, () => {
  const schemas = new PostgresSchemas(postgres.url ?? 'postgres://unused');
  after(() => schemas.dropAll());

  it('HOOK-1: add, list and remove against --db-url postgres://', async () => {
    postgres.assertAvailable();
    const url = urlWithSchema(postgres.url ?? '', await schemas.fresh());
    const cli = (...args: string[]) => runCli([...args, '--db-url', url]);
    assert.equal((await cli('tenants', 'create', 'acme')).code, 0);
    assert.equal((await cli('apps', 'create', 'acme/web')).code, 0);
    const hook = added(await cli('webhooks', 'add', 'acme/web', '--url', 'http://127.0.0.1:9/x', '--allow-private-webhooks', '--events', 'quota.reached'));
    assert.match((await cli('webhooks', 'list')).stdout, new RegExp(`^${hook.endpointId}\tacme/web\thttp://127\\.0\\.0\\.1:9/x\tevents=quota\\.reached\tenabled`));
    assert.equal((await cli('webhooks', 'remove', hook.endpointId)).code, 0);
    assert.equal((await cli('webhooks', 'list')).stdout, '');
  });
});
