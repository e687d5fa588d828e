import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openLibsqlControlStores, type LibsqlControlStores } from '../../src/routing/index.js';
import {
  generateWebhookSecret,
  nextAttemptAt,
  retryScheduleDefaults,
  WebhookDispatcher,
  webhookStoreOf,
  type WebhookDispatcherOptions,
  type WebhookStore,
} from '../../src/webhooks/index.js';
import { ManualClock } from '../helpers/manualClock.js';
import { verifyWebhook, WebhookReceiver } from '../helpers/webhookReceiver.js';

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wiresocket-dispatch-'));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Fixture {
  stores: LibsqlControlStores;
  webhooks: WebhookStore;
  receiver: WebhookReceiver;
  secret: string;
  url: string;
  close(): Promise<void>;
}

async function fixture(answer?: (n: number) => number | 'hang', url = `file:${join(dir, `control-${++files}.db`)}`): Promise<Fixture> {
  const stores = await openLibsqlControlStores({ url });
  const webhooks = webhookStoreOf(stores);
  const receiver = await WebhookReceiver.start(answer);
  const secret = generateWebhookSecret();
  await webhooks.addEndpoint({ endpointId: 'ep', tenantId: 'acme', appId: 'web', url: receiver.url, secret, events: null, createdAt: Date.now() });
  return { stores, webhooks, receiver, secret, url, close: async () => (await receiver.close(), await stores.close()) };
}

let events = 0;
function enqueue(webhooks: WebhookStore, createdAt = Date.now(), data: Record<string, unknown> = { tenantId: 'acme', appId: 'web', documentName: 'notes' }) {
  return webhooks.enqueue({ eventId: `evt_${++events}`, tenantId: 'acme', appId: 'web', type: 'document.updated', data: JSON.stringify(data), createdAt });
}

function dispatcher(webhooks: WebhookStore, options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  return new WebhookDispatcher({ store: webhooks, clock: systemClock, logger: silentLogger(), nodeId: 'node-a', allowPrivate: true, pollIntervalMs: 20, ...options });
}

async function deliveryOf(webhooks: WebhookStore) {
  const [delivery] = await webhooks.listDeliveries('ep', { failedOnly: false, limit: 1 });
  return delivery;
}

describe('webhook dispatcher', () => {
  it('HOOK-2: a delivery is a Standard Webhooks POST that the standardwebhooks package verifies', async () => {
    const f = await fixture();
    const sender = dispatcher(f.webhooks);
    try {
      await enqueue(f.webhooks, Date.parse('2026-12-07T10:00:00.000Z'));
      sender.start();
      await f.receiver.waitFor(1);
      const [request] = f.receiver.received;
      assert.match(String(request.headers['webhook-id']), /^msg_[0-9a-f]{32}$/);
      assert.match(String(request.headers['webhook-signature']), /^v1,/);
      assert.equal(request.headers['content-type'], 'application/json');
      const body = verifyWebhook(f.secret, request);
      assert.deepEqual(body, { type: 'document.updated', timestamp: '2026-12-07T10:00:00.000Z', data: { tenantId: 'acme', appId: 'web', documentName: 'notes' } });
      assert.throws(() => verifyWebhook(generateWebhookSecret(), request), /signature/i, 'another secret does not verify');
      await sender.stop();
      const delivery = await deliveryOf(f.webhooks);
      assert.deepEqual([delivery.status, delivery.attempts, delivery.lastStatus], ['delivered', 1, 204]);
    } finally {
      await sender.stop();
      await f.close();
    }
  });

  it('HOOK-5: failed attempts are retried at least once more, with the same webhook-id every time', async () => {
    const f = await fixture((n) => (n <= 2 ? 500 : 200));
    const sender = dispatcher(f.webhooks, { schedule: { ...retryScheduleDefaults, firstDelayMs: 30 } });
    try {
      await enqueue(f.webhooks);
      sender.start();
      await f.receiver.waitFor(3);
      await sender.stop();
      const ids = f.receiver.received.map((request) => request.headers['webhook-id']);
      assert.equal(new Set(ids).size, 1, 'one id on every attempt');
      for (const request of f.receiver.received) verifyWebhook(f.secret, request);
      const delivery = await deliveryOf(f.webhooks);
      assert.deepEqual([delivery.status, delivery.attempts, delivery.lastStatus], ['delivered', 3, 200]);
      assert.equal(f.receiver.received.length, 3, 'nothing after the success');
    } finally {
      await sender.stop();
      await f.close();
    }
  });

  it('HOOK-6: no 2xx within the timeout is a failed attempt, recorded with its error', async () => {
    const f = await fixture(() => 'hang');
    const sender = dispatcher(f.webhooks, { timeoutMs: 150 });
    try {
      await enqueue(f.webhooks);
      assert.equal(await sender.claimOnce(), 1);
      await sender.settled();
      const delivery = await deliveryOf(f.webhooks);
      assert.deepEqual([delivery.status, delivery.attempts, delivery.lastStatus, delivery.lastError], ['pending', 1, null, 'no answer within 150 ms']);
      assert.ok(delivery.nextAttemptAt >= Date.now() + 2_000, 'retried after the first backoff (5 s less jitter)');
    } finally {
      await sender.stop();
      await f.close();
    }
  });

  it('HOOK-6: the retry schedule doubles from 5 s up to 1 h with jitter, and gives up after 24 h (fake clock)', async () => {
    const clock = new ManualClock(Date.now());
    const f = await fixture(() => 503);
    const sender = dispatcher(f.webhooks, { clock });
    try {
      const start = clock.now();
      await enqueue(f.webhooks, start);
      const waits: number[] = [];
      for (let attempt = 1; attempt < 100; attempt++) {
        assert.equal(await sender.claimOnce(), 1, `attempt ${attempt} is due`);
        await sender.settled();
        const delivery = await deliveryOf(f.webhooks);
        assert.equal(delivery.attempts, attempt);
        if (delivery.status === 'failed') break;
        const wait = delivery.nextAttemptAt - clock.now();
        waits.push(wait);
        clock.advance(wait - 1);
        assert.equal(await sender.claimOnce(), 0, 'not before it is due');
        clock.advance(1);
      }
      const final = await deliveryOf(f.webhooks);
      assert.deepEqual([final.status, final.lastStatus, final.lastError], ['failed', 503, 'HTTP 503: answer 503']);
      waits.forEach((wait, index) => {
        const nominal = Math.min(3_600_000, 5_000 * 2 ** index);
        assert.ok(wait <= nominal && wait >= nominal * 0.75, `wait ${index + 1}: ${wait} ms, nominal ${nominal}`);
      });
      const elapsed = clock.now() - start;
      assert.ok(elapsed <= 24 * 3_600_000 && elapsed > 23 * 3_600_000, `gave up after ${elapsed} ms`);
      assert.equal(f.receiver.received.length, waits.length + 1);
      assert.equal(new Set(f.receiver.received.map((request) => request.headers['webhook-id'])).size, 1);
      assert.equal(await sender.claimOnce(), 0, 'a failed delivery is not tried again');
    } finally {
      await sender.stop();
      await f.close();
    }
  });

  it('HOOK-6: nextAttemptAt stays within the jitter of the nominal wait and says null past 24 h', () => {
    assert.equal(nextAttemptAt(1, 0, 0, retryScheduleDefaults, () => 0), 5_000);
    assert.equal(nextAttemptAt(1, 0, 0, retryScheduleDefaults, () => 1), 3_750);
    assert.equal(nextAttemptAt(3, 0, 0, retryScheduleDefaults, () => 0), 20_000);
    assert.equal(nextAttemptAt(40, 0, 0, retryScheduleDefaults, () => 0), 3_600_000);
    assert.equal(nextAttemptAt(40, 0, 23 * 3_600_000, retryScheduleDefaults, () => 0), 24 * 3_600_000);
    assert.equal(nextAttemptAt(40, 0, 23 * 3_600_000 + 1, retryScheduleDefaults, () => 0), null);
  });

  it('HOOK-7: a 410 disables the endpoint: that delivery fails, the others are not sent', async () => {
    const f = await fixture(() => 410);
    const sender = dispatcher(f.webhooks, { maxPerEndpoint: 1 });
    try {
      await enqueue(f.webhooks);
      await enqueue(f.webhooks);
      sender.start();
      await f.receiver.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await sender.stop();
      assert.equal(f.receiver.received.length, 1);
      const [endpoint] = await f.webhooks.listEndpoints();
      assert.equal(endpoint.enabled, false);
      assert.match(String(endpoint.disabledReason), /410/);
      const failed = await f.webhooks.listDeliveries('ep', { failedOnly: true, limit: 10 });
      assert.deepEqual(failed.map((d) => d.lastStatus).sort(), [410, null], 'the one answered 410, the other failed unsent');
      assert.ok(failed.some((d) => d.attempts === 0 && /endpoint disabled/.test(String(d.lastError))));
    } finally {
      await sender.stop();
      await f.close();
    }
  });

  it('HOOK-8: at most maxPerEndpoint requests are open at one endpoint at once', async () => {
    const f = await fixture(() => 200);
    f.receiver.delayMs = 80;
    const sender = dispatcher(f.webhooks, { maxPerEndpoint: 3, maxInFlight: 16 });
    try {
      for (let i = 0; i < 12; i++) await enqueue(f.webhooks);
      sender.start();
      await f.receiver.waitFor(12);
      assert.equal(f.receiver.maxConcurrent, 3);
    } finally {
      await sender.stop();
      await f.close();
    }
  });

  it('HOOK-9: two dispatchers on one store send each delivery once; a dead claimant’s lease is taken over', async () => {
    const f = await fixture(() => 200);
    const other = await openLibsqlControlStores({ url: f.url });
    const a = dispatcher(f.webhooks, { nodeId: 'node-a' });
    const b = dispatcher(webhookStoreOf(other), { nodeId: 'node-b' });
    try {
      for (let i = 0; i < 30; i++) await enqueue(f.webhooks);
      // A node that claimed one and died before sending: its lease runs out, then another sends it.
      await enqueue(f.webhooks);
      const leasedAt = Date.now();
      const [orphan] = await f.webhooks.claimDue({ owner: 'dead-node/1', now: leasedAt, leaseMs: 400, limit: 1, maxPerEndpoint: 10 });
      a.start();
      b.start();
      await f.receiver.waitFor(31, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ids = f.receiver.received.map((request) => String(request.headers['webhook-id']));
      assert.equal(ids.length, 31);
      assert.equal(new Set(ids).size, 31, 'each delivery sent once');
      const takenOver = f.receiver.received.find((request) => request.headers['webhook-id'] === orphan.deliveryId);
      assert.ok(takenOver && takenOver.receivedAt >= leasedAt + 400, 'sent only once the dead claimant’s lease ran out');
      const agents = new Set(f.receiver.received.map((request) => request.headers['user-agent']));
      assert.deepEqual([...agents], ['wiresocket-webhooks']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await other.close();
      await f.close();
    }
  });

  it('HOOK-11: without --allow-private-webhooks a send to a loopback address is refused and nothing is sent', async () => {
    const f = await fixture();
    const literal = dispatcher(f.webhooks, { allowPrivate: false });
    try {
      await enqueue(f.webhooks);
      await literal.claimOnce();
      await literal.settled();
      let delivery = await deliveryOf(f.webhooks);
      assert.match(String(delivery.lastError), /127\.0\.0\.1 refused/);
      // A name that resolves to loopback at send time (the row is edited as DNS would change).
      await f.stores.database.client.execute({ sql: 'UPDATE webhook_endpoints SET url = ?', args: [f.receiver.url.replace('127.0.0.1', 'localhost')] });
      await f.webhooks.retryDelivery(delivery.deliveryId, Date.now());
      await literal.claimOnce();
      await literal.settled();
      delivery = await deliveryOf(f.webhooks);
      assert.match(String(delivery.lastError), /localhost resolves to .*refused/);
      assert.equal(f.receiver.received.length, 0);
    } finally {
      await literal.stop();
      await f.close();
    }
  });
});
