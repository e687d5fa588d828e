import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlStores, OutboxEvent } from '../../src/routing/index.js';
import { webhookStoreOf, type WebhookEventType, type WebhookStore } from '../../src/webhooks/index.js';

export interface WebhookStores {
  stores: ControlStores;
  webhooks: WebhookStore;
  close(): Promise<void>;
}

export type OpenWebhookStores = () => Promise<WebhookStores>;

/** Control stores and their webhook store, from a factory of control stores. */
export async function withWebhookStore(open: () => Promise<ControlStores>): Promise<WebhookStores> {
  const stores = await open();
  return { stores, webhooks: webhookStoreOf(stores), close: () => stores.close() };
}

let counter = 0;

function event(type: string, overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  counter += 1;
  return { eventId: `evt_test_${counter}`, tenantId: 'acme', appId: 'web', type, data: JSON.stringify({ n: counter }), createdAt: 1_000, ...overrides };
}

async function addEndpoint(webhooks: WebhookStore, endpointId: string, events: WebhookEventType[] | null = null, app = { tenantId: 'acme', appId: 'web' }) {
  await webhooks.addEndpoint({ endpointId, ...app, url: `http://hooks.example/${endpointId}`, secret: 'whsec_c2VjcmV0', events, createdAt: 1 });
}

const claim = (owner: string, now: number, extra: { limit?: number; maxPerEndpoint?: number; leaseMs?: number } = {}) => ({
  owner,
  now,
  leaseMs: extra.leaseMs ?? 1_000,
  limit: extra.limit ?? 100,
  maxPerEndpoint: extra.maxPerEndpoint ?? 100,
});

/** The WebhookStore contract (webhookStore.ts), for every control store. */
export function webhookStoreContract(label: string, open: OpenWebhookStores): void {
  const using = async (body: (stores: WebhookStores) => Promise<void>) => {
    const opened = await open();
    try {
      await body(opened);
    } finally {
      await opened.close();
    }
  };

  describe(`webhook store contract: ${label}`, () => {
    it('HOOK-3: an event is stored only for subscribed, enabled endpoints, one delivery each', () =>
      using(async ({ webhooks }) => {
        assert.equal(await webhooks.enqueue(event('document.updated')), 0, 'no endpoint: nothing written');
        await addEndpoint(webhooks, 'ep_all');
        await addEndpoint(webhooks, 'ep_ended', ['document.ended']);
        await addEndpoint(webhooks, 'ep_other_app', null, { tenantId: 'acme', appId: 'api' });
        assert.equal(await webhooks.enqueue(event('document.updated')), 1);
        assert.equal(await webhooks.enqueue(event('document.ended')), 2);
        assert.equal((await webhooks.listDeliveries('ep_all', { failedOnly: false, limit: 10 })).length, 2);
        assert.deepEqual((await webhooks.listDeliveries('ep_ended', { failedOnly: false, limit: 10 })).map((d) => d.eventType), ['document.ended']);
        assert.equal((await webhooks.listDeliveries('ep_other_app', { failedOnly: false, limit: 10 })).length, 0);
        const listed = await webhooks.listEndpoints({ tenantId: 'acme', appId: 'web' });
        assert.deepEqual(listed.map((e) => [e.endpointId, e.events, e.enabled]), [['ep_all', null, true], ['ep_ended', ['document.ended'], true]]);
        assert.equal(JSON.stringify(await webhooks.listEndpoints()).includes('whsec_'), false, 'listing never shows secrets');
        assert.equal((await webhooks.subscriptions()).length, 3);
      }));

    it('HOOK-3: document.created is written by the pin itself, in its transaction; a refused pin writes none', () =>
      using(async ({ stores, webhooks }) => {
        await stores.tenants.createTenant({ tenantId: 'acme', maxDocuments: 1 });
        await addEndpoint(webhooks, 'ep_created', ['document.created']);
        const route = (name: string) => ({ docKey: `acme::web::${name}`, tenantId: 'acme', region: 'eu', nodeId: 'n1' });
        const [pinned, refused] = await stores.routing.runBatch([{ kind: 'pin', route: route('doc one') }, { kind: 'pin', route: route('doc two') }]);
        assert.equal(pinned.kind === 'pin' && pinned.result.kind, 'pinned');
        assert.equal(refused.kind === 'pin' && refused.result.kind, 'quota-exceeded');
        assert.equal((await stores.routing.pinDocument(route('doc one'))).kind, 'existing');
        const deliveries = await webhooks.listDeliveries('ep_created', { failedOnly: false, limit: 10 });
        assert.deepEqual(deliveries.map((d) => d.eventType), ['document.created'], 'one event: the existing pin and the refused one write none');
        const [claimed] = await webhooks.claimDue(claim('owner', Date.now() + 1_000));
        assert.deepEqual(JSON.parse(claimed.data), { tenantId: 'acme', appId: 'web', documentName: 'doc one', region: 'eu', epoch: 1 });
        await addEndpoint(webhooks, 'ep_other_app', ['document.created'], { tenantId: 'acme', appId: 'api' });
        assert.equal((await webhooks.listDeliveries('ep_other_app', { failedOnly: false, limit: 10 })).length, 0);
        // In one batch: an existing pin writes none, a new one (of the other app) one, and an unpin and re-pin a new epoch's.
        await stores.tenants.setMaxDocuments('acme', 10);
        await stores.routing.runBatch([{ kind: 'pin', route: route('doc one') }, { kind: 'pin', route: { ...route('x'), docKey: 'acme::api::x' } }]);
        assert.equal(await stores.routing.unpinIfUnused('acme::web::doc one'), true);
        await stores.routing.runBatch([{ kind: 'pin', route: route('doc one') }, { kind: 'pin', route: route('doc one') }]);
        assert.equal((await webhooks.listDeliveries('ep_other_app', { failedOnly: false, limit: 10 })).length, 1);
        const created = (await webhooks.claimDue(claim('owner-2', Date.now() + 1_000))).filter((d) => d.endpointId === 'ep_created');
        assert.deepEqual(created.map((d) => JSON.parse(d.data).epoch), [2], 'the re-pin, once');
      }));

    it('HOOK-3: the winning unpinIfUnused writes document.ended in its transaction; a losing or refused one writes none', () =>
      using(async ({ stores, webhooks }) => {
        await stores.tenants.createTenant({ tenantId: 'acme', maxDocuments: 10 });
        await addEndpoint(webhooks, 'ep_ended', ['document.ended']);
        const docKey = 'acme::web::d';
        await stores.routing.pinDocument({ docKey, tenantId: 'acme', region: 'eu', nodeId: 'n1' });
        await stores.routing.addConnection({ connectionId: 'c1', docKey, nodeId: 'n2', userId: 'u' });
        assert.equal(await stores.routing.unpinIfUnused(docKey, event('document.ended', { eventId: 'evt_busy' })), false, 'still used');
        await stores.routing.removeConnection('c1');
        const results = await Promise.all(['evt_a', 'evt_b', 'evt_c'].map((eventId) => stores.routing.unpinIfUnused(docKey, event('document.ended', { eventId }))));
        assert.deepEqual(results.filter(Boolean).length, 1);
        const deliveries = await webhooks.listDeliveries('ep_ended', { failedOnly: false, limit: 10 });
        assert.equal(deliveries.length, 1);
        assert.equal(deliveries[0].eventId, ['evt_a', 'evt_b', 'evt_c'][results.indexOf(true)]);
      }));

    it('HOOK-19: unpinDocument with an event writes it in its transaction when it removed a row, and none when there was no row', () =>
      using(async ({ stores, webhooks }) => {
        await stores.tenants.createTenant({ tenantId: 'acme', maxDocuments: 10 });
        await addEndpoint(webhooks, 'ep_deleted', ['document.ended']);
        const docKey = 'acme::web::deleted';
        await stores.routing.pinDocument({ docKey, tenantId: 'acme', region: 'eu', nodeId: 'n1' });
        await stores.routing.addConnection({ connectionId: 'c1', docKey, nodeId: 'n1', userId: 'u' });
        assert.equal(await stores.routing.unpinDocument(docKey, event('document.ended', { eventId: 'evt_deleted' })), true, 'removed although in use');
        assert.equal(await stores.routing.unpinDocument(docKey, event('document.ended', { eventId: 'evt_again' })), false);
        const deliveries = await webhooks.listDeliveries('ep_deleted', { failedOnly: false, limit: 10 });
        assert.deepEqual(deliveries.map((delivery) => delivery.eventId), ['evt_deleted']);
      }));

    it('HOOK-9: a claim leases each delivery to one owner; an expired lease is taken over; only the owner records', () =>
      using(async ({ webhooks }) => {
        await addEndpoint(webhooks, 'ep');
        for (let i = 0; i < 5; i++) await webhooks.enqueue(event('document.updated'));
        const [first, second] = await Promise.all([webhooks.claimDue(claim('a', 2_000, { limit: 3 })), webhooks.claimDue(claim('b', 2_000, { limit: 3 }))]);
        const ids = [...first, ...second].map((d) => d.deliveryId);
        assert.equal(ids.length, 5);
        assert.equal(new Set(ids).size, 5, 'no delivery leased twice');
        assert.deepEqual(await webhooks.claimDue(claim('c', 2_500)), [], 'all leased');
        const takenOver = await webhooks.claimDue(claim('c/1', 3_001));
        assert.equal(takenOver.length, 5, 'expired leases are taken over');
        const stale = first[0];
        assert.equal(await webhooks.finishAttempt({ deliveryId: stale.deliveryId, endpointId: 'ep', owner: stale.owner, now: 3_100, outcome: { kind: 'delivered', status: 200 } }), false);
        const current = takenOver.find((d) => d.deliveryId === stale.deliveryId)!;
        assert.equal(await webhooks.finishAttempt({ deliveryId: current.deliveryId, endpointId: 'ep', owner: current.owner, now: 3_100, outcome: { kind: 'delivered', status: 204 } }), true);
        const record = (await webhooks.listDeliveries('ep', { failedOnly: false, limit: 10 })).find((d) => d.deliveryId === current.deliveryId)!;
        assert.deepEqual([record.status, record.attempts, record.lastStatus], ['delivered', 1, 204]);
        // A node restarted under its id takes back what its previous run held, not another node's.
        assert.equal(await webhooks.releaseLeasesOf('c'), 4);
        assert.equal(await webhooks.releaseLeasesOf('c'), 0);
        await webhooks.enqueue(event('document.updated'));
        await webhooks.claimDue(claim('node_1/x', 3_200, { limit: 1 }));
        assert.equal(await webhooks.releaseLeasesOf('node%1'), 0, 'node ids are matched exactly, not as patterns');
        assert.equal((await webhooks.claimDue(claim('d', 3_200))).length, 4, 'all but the one node_1 holds');
      }));

    it('HOOK-8: an endpoint never has more than maxPerEndpoint deliveries leased, whoever claims', () =>
      using(async ({ webhooks }) => {
        await addEndpoint(webhooks, 'ep_slow');
        await addEndpoint(webhooks, 'ep_fast', ['document.ended']);
        for (let i = 0; i < 6; i++) await webhooks.enqueue(event('document.updated'));
        await webhooks.enqueue(event('document.ended'));
        const first = await webhooks.claimDue(claim('a', 2_000, { maxPerEndpoint: 2 }));
        assert.equal(first.filter((d) => d.endpointId === 'ep_slow').length, 2);
        assert.equal(first.filter((d) => d.endpointId === 'ep_fast').length, 1);
        assert.equal((await webhooks.claimDue(claim('b', 2_000, { maxPerEndpoint: 2 }))).filter((d) => d.endpointId === 'ep_slow').length, 0);
        const done = first.find((d) => d.endpointId === 'ep_slow')!;
        await webhooks.finishAttempt({ deliveryId: done.deliveryId, endpointId: 'ep_slow', owner: 'a', now: 2_100, outcome: { kind: 'delivered', status: 200 } });
        assert.equal((await webhooks.claimDue(claim('b', 2_200, { maxPerEndpoint: 2 }))).length, 1, 'a freed slot is claimable');
      }));

    it('HOOK-6/HOOK-7: retries wait until due, failures are listed, a retry keeps the id, a 410 disables the endpoint', () =>
      using(async ({ webhooks }) => {
        await addEndpoint(webhooks, 'ep');
        await webhooks.enqueue(event('document.updated'));
        await webhooks.enqueue(event('document.updated'));
        const [a, b] = await webhooks.claimDue(claim('o', 2_000));
        await webhooks.finishAttempt({ deliveryId: a.deliveryId, endpointId: 'ep', owner: 'o', now: 2_010, outcome: { kind: 'retry', nextAttemptAt: 7_000, status: 503, error: 'HTTP 503' } });
        await webhooks.finishAttempt({ deliveryId: b.deliveryId, endpointId: 'ep', owner: 'o', now: 2_010, outcome: { kind: 'failed', status: null, error: 'timeout' } });
        assert.deepEqual(await webhooks.claimDue(claim('o', 6_999)), [], 'not due yet; a failed one never again');
        const [again] = await webhooks.claimDue(claim('o', 7_000));
        assert.equal(again.deliveryId, a.deliveryId);
        assert.equal(again.attempts, 1);
        const failed = await webhooks.listDeliveries('ep', { failedOnly: true, limit: 10 });
        assert.deepEqual(failed.map((d) => [d.deliveryId, d.status, d.attempts, d.lastError]), [[b.deliveryId, 'failed', 1, 'timeout']]);
        assert.equal(await webhooks.retryDelivery(b.deliveryId, 8_000), 'due');
        assert.equal(await webhooks.retryDelivery('msg_none', 8_000), 'unknown');
        const retried = (await webhooks.claimDue(claim('p', 8_000))).find((d) => d.deliveryId === b.deliveryId)!;
        assert.equal(retried.scheduleStartAt, 8_000, 'a manual retry starts a fresh schedule');
        await webhooks.finishAttempt({ deliveryId: retried.deliveryId, endpointId: 'ep', owner: 'p', now: 8_100, outcome: { kind: 'failed', status: 410, error: 'gone' }, disableEndpoint: 'answered 410' });
        const [endpoint] = await webhooks.listEndpoints();
        assert.deepEqual([endpoint.enabled, endpoint.disabledReason], [false, 'answered 410']);
        assert.equal(await webhooks.enqueue(event('document.updated')), 0, 'a disabled endpoint gets no new deliveries');
        assert.deepEqual(await webhooks.claimDue(claim('q', 99_000)), [], 'nor are its pending ones sent');
        const abandoned = (await webhooks.listDeliveries('ep', { failedOnly: true, limit: 10 })).find((d) => d.deliveryId === a.deliveryId);
        assert.deepEqual([abandoned?.status, abandoned?.lastError], ['failed', 'endpoint disabled: answered 410'], 'they fail with it');
        assert.equal(await webhooks.retryDelivery(a.deliveryId, 99_000), 'endpoint-disabled', 'and cannot be retried');
        assert.equal((await webhooks.subscriptions()).length, 0);
      }));

    it('HOOK-18: finished deliveries past the retention are pruned with their events; pending ones stay', () =>
      using(async ({ webhooks }) => {
        await addEndpoint(webhooks, 'ep');
        for (let i = 0; i < 3; i++) await webhooks.enqueue(event('document.updated'));
        const [delivered, failed] = await webhooks.claimDue(claim('o', 2_000, { limit: 2 }));
        await webhooks.finishAttempt({ deliveryId: delivered.deliveryId, endpointId: 'ep', owner: 'o', now: 2_100, outcome: { kind: 'delivered', status: 200 } });
        await webhooks.finishAttempt({ deliveryId: failed.deliveryId, endpointId: 'ep', owner: 'o', now: 2_200, outcome: { kind: 'failed', status: 500, error: 'x' } });
        assert.equal(await webhooks.pruneFinished(2_100), 0, 'nothing changed before 2,100');
        assert.equal(await webhooks.pruneFinished(2_201), 2);
        const left = await webhooks.listDeliveries('ep', { failedOnly: false, limit: 10 });
        assert.deepEqual(left.map((d) => d.status), ['pending']);
        const [pending] = await webhooks.claimDue(claim('p', 3_000));
        assert.ok(pending.data.length > 0, 'its event is still there');
      }));

    it('HOOK-1: removing an endpoint removes its deliveries; removing it twice says so', () =>
      using(async ({ webhooks }) => {
        await addEndpoint(webhooks, 'ep');
        await webhooks.enqueue(event('document.updated'));
        assert.equal(await webhooks.removeEndpoint('ep'), true);
        assert.equal(await webhooks.removeEndpoint('ep'), false);
        assert.deepEqual(await webhooks.listDeliveries('ep', { failedOnly: false, limit: 10 }), []);
        assert.deepEqual(await webhooks.claimDue(claim('o', 9_000)), []);
      }));
  });
}
