import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { ServeConfig } from '../../src/config.js';
import { generateWebhookSecret, webhookStoreOf, type WebhookEventType } from '../../src/webhooks/index.js';
import { documentRequest, postUpdate, textInsert } from '../helpers/documentHttp.js';
import { RawClient } from '../helpers/rawClient.js';
import { startTestServer, type TestApp, type TestServer } from '../helpers/testServer.js';
import { verifyWebhook, WebhookReceiver, type ReceiverAnswer } from '../helpers/webhookReceiver.js';
import { connectClient, destroyAll, eventually, waitForSync } from '../helpers/yjsClient.js';

const config: Partial<ServeConfig> = { allowPrivateWebhooks: true, webhookUpdateIntervalMs: 300, graceMs: 150 };

interface Hooked {
  server: TestServer;
  receiver: WebhookReceiver;
  secret: string;
  /** The verified bodies received so far, of one type. */
  bodies(type: WebhookEventType): Record<string, unknown>[];
  close(): Promise<void>;
}

async function hookedServer(events: WebhookEventType[] | null, extra: Partial<ServeConfig> = {}, answer?: (n: number) => ReceiverAnswer): Promise<Hooked> {
  const server = await startTestServer({ webhooks: true, config: { ...config, ...extra }, maxDocuments: 1 });
  const receiver = await WebhookReceiver.start(answer);
  const secret = generateWebhookSecret();
  await webhookStoreOf(server.stores).addEndpoint({ endpointId: 'ep', tenantId: 'acme', appId: 'editor', url: receiver.url, secret, events, createdAt: Date.now() });
  await server.server.webhooks!.announcer.refresh();
  const bodies = (type: WebhookEventType) =>
    receiver.received.map((request) => verifyWebhook(secret, request)).filter((body) => body.type === type).map((body) => body.data);
  return { server, receiver, secret, bodies, close: async () => (await server.close(), await receiver.close()) };
}

describe('webhook events', () => {
  it('HOOK-12: a first connect sends document.created with tenant, app, document name, region and epoch', async () => {
    const hooked = await hookedServer(['document.created']);
    const { provider } = connectClient(hooked.server.url, 'notes/a b', { token: await hooked.server.token() });
    try {
      await waitForSync(provider);
      await eventually(() => hooked.bodies('document.created').length === 1, 5_000, 'document.created');
      assert.deepEqual(hooked.bodies('document.created'), [{ tenantId: 'acme', appId: 'editor', documentName: 'notes/a b', region: 'local', epoch: 1 }]);
    } finally {
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-13: document.updated comes at most once per interval per document and carries the state vector', async () => {
    const hooked = await hookedServer(['document.updated']);
    const { provider, doc } = connectClient(hooked.server.url, 'busy', { token: await hooked.server.token() });
    try {
      await waitForSync(provider);
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        doc.getText('t').insert(0, `edit ${i} `);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      const editingMs = Date.now() - started;
      const expected = Buffer.from(Y.encodeStateVector(doc)).toString('base64');
      await eventually(() => hooked.bodies('document.updated').at(-1)?.stateVector === expected, 5_000, 'the last state vector');
      // When each event was made (its body's timestamp), not when it arrived.
      const updates = hooked.receiver.received.map((request) => Date.parse(verifyWebhook(hooked.secret, request).timestamp)).sort((a, b) => a - b);
      assert.ok(updates.length >= 2, `${updates.length} events for 20 edits over ${editingMs} ms`);
      assert.ok(updates.length <= Math.ceil(editingMs / 300) + 1, `${updates.length} events for 20 edits over ${editingMs} ms`);
      for (let i = 1; i < updates.length; i++) assert.ok(updates[i] - updates[i - 1] >= 250, `events ${i - 1} and ${i} are ${updates[i] - updates[i - 1]} ms apart`);
      assert.deepEqual(Object.keys(hooked.bodies('document.updated')[0]).sort(), ['appId', 'documentName', 'stateVector', 'tenantId']);
    } finally {
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-13: with clients writing on two nodes, document.updated still comes at most once per interval, the last with the final state vector', async () => {
    const hooked = await hookedServer(['document.updated']);
    const second = await startTestServer({ webhooks: true, config, shareWith: hooked.server });
    await second.server.webhooks!.announcer.refresh();
    const token = await hooked.server.token();
    const onA = connectClient(hooked.server.url, 'two-nodes', { token });
    const onB = connectClient(second.url, 'two-nodes', { token });
    try {
      await Promise.all([waitForSync(onA.provider), waitForSync(onB.provider)]);
      const started = Date.now();
      for (let i = 0; i < 24; i++) {
        (i % 2 === 0 ? onA : onB).doc.getText('t').insert(0, `edit ${i} `);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      const editingMs = Date.now() - started;
      await eventually(() => onA.doc.getText('t').length === onB.doc.getText('t').length, 5_000, 'both clients in step');
      const expected = Buffer.from(Y.encodeStateVector(onA.doc)).toString('base64');
      await eventually(() => hooked.bodies('document.updated').some((body) => body.stateVector === expected), 5_000, 'the final state vector announced');
      const times = hooked.receiver.received.map((request) => Date.parse(verifyWebhook(hooked.secret, request).timestamp)).sort((a, b) => a - b);
      assert.ok(times.length <= Math.ceil(editingMs / 300) + 2, `${times.length} events for 24 edits on 2 nodes over ${editingMs} ms`);
      for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 250, `events ${i - 1} and ${i} are ${times[i] - times[i - 1]} ms apart`);
    } finally {
      destroyAll([onA.provider, onB.provider]);
      await second.close();
      await hooked.close();
    }
  });

  it('HOOK-13: an update POSTed through the HTTP API announces document.updated as a client update does', async () => {
    const hooked = await hookedServer(['document.updated']);
    try {
      const token = await hooked.server.token();
      assert.equal((await postUpdate(hooked.server.url, 'posted', token, textInsert('from the backend'))).status, 204);
      await eventually(() => hooked.bodies('document.updated').length === 1, 5_000, 'document.updated');
      const doc = new Y.Doc();
      Y.applyUpdate(doc, hooked.server.server.documents.getSession(hooked.server.key('posted'))!.encodeState());
      assert.equal(hooked.bodies('document.updated')[0].stateVector, Buffer.from(Y.encodeStateVector(doc)).toString('base64'));
    } finally {
      await hooked.close();
    }
  });

  it('HOOK-14: document.ended carries the reason and the final state as a base64 Yjs update', async () => {
    const hooked = await hookedServer(['document.ended']);
    const { provider, doc } = connectClient(hooked.server.url, 'kept', { token: await hooked.server.token() });
    try {
      await waitForSync(provider);
      doc.getText('t').insert(0, 'the final words');
      await eventually(() => hooked.server.hub.size === 1 && hooked.server.server.documents.getSession(hooked.server.key('kept'))?.encodeState().length! > 20, 5_000, 'stored');
      destroyAll([provider]);
      await eventually(() => hooked.bodies('document.ended').length === 1, 5_000, 'document.ended');
      const [ended] = hooked.bodies('document.ended');
      assert.equal(ended.reason, 'idle-timeout');
      assert.equal(ended.stateOmitted, false);
      assert.equal(ended.documentName, 'kept');
      const restored = new Y.Doc();
      Y.applyUpdate(restored, Buffer.from(String(ended.state), 'base64'));
      assert.equal(restored.getText('t').toString(), 'the final words');
      assert.equal(ended.stateBytes, Buffer.from(String(ended.state), 'base64').length);
    } finally {
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-19: a DELETE sends document.ended with reason deleted and no state, once', async () => {
    const hooked = await hookedServer(['document.ended']);
    const token = await hooked.server.token();
    const { provider, doc } = connectClient(hooked.server.url, 'doomed', { token });
    try {
      await waitForSync(provider);
      doc.getText('t').insert(0, 'to be deleted');
      const response = await documentRequest(hooked.server.url, '/v1/documents/doomed', token, { method: 'DELETE' });
      assert.equal(response.status, 204);
      await eventually(() => hooked.bodies('document.ended').length === 1, 5_000, 'document.ended');
      assert.deepEqual(hooked.bodies('document.ended'), [
        { tenantId: 'acme', appId: 'editor', documentName: 'doomed', reason: 'deleted', stateBytes: null, stateOmitted: true },
      ]);
      // Nothing more comes for it: the grace of the closed client finds no pin to end.
      await new Promise((resolve) => setTimeout(resolve, 3 * 150));
      assert.equal(hooked.bodies('document.ended').length, 1);
      assert.equal((await documentRequest(hooked.server.url, '/v1/documents/absent', token, { method: 'DELETE' })).status, 404);
      assert.equal(hooked.bodies('document.ended').length, 1, 'a DELETE of nothing announces nothing');
    } finally {
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-20: /metrics counts webhook attempts by outcome and event type, with their durations', async () => {
    // Two endpoints on one receiver get the document.created: the first request is answered 204, the second 410.
    const hooked = await hookedServer(['document.created'], {}, (n) => (n === 1 ? 204 : 410));
    await webhookStoreOf(hooked.server.stores).addEndpoint({
      endpointId: 'ep2', tenantId: 'acme', appId: 'editor', url: hooked.receiver.url, secret: hooked.secret, events: ['document.created'], createdAt: Date.now(),
    });
    await hooked.server.server.webhooks!.announcer.refresh();
    const token = await hooked.server.token();
    const providers = [connectClient(hooked.server.url, 'measured', { token }).provider];
    const metric = async (pattern: RegExp) => {
      const text = await (await fetch(`${hooked.server.url.replace(/^ws/, 'http')}/metrics`)).text();
      return Number(pattern.exec(text)?.[1] ?? 0);
    };
    try {
      await Promise.all(providers.map((provider) => waitForSync(provider)));
      await eventually(async () => (await metric(/^wiresocket_webhook_attempts_total\{outcome="gone",type="document.created"\} (\d+)$/m)) === 1, 5_000, 'the 410 counted');
      assert.equal(await metric(/^wiresocket_webhook_attempts_total\{outcome="delivered",type="document.created"\} (\d+)$/m), 1);
      assert.equal(await metric(/^wiresocket_webhook_attempt_duration_seconds_count (\d+)$/m), 2);
      assert.equal(await metric(/^wiresocket_webhook_attempts_in_flight (\d+)$/m), 0);
    } finally {
      destroyAll(providers);
      await hooked.close();
    }
  });

  it('HOOK-14: above --webhook-max-state-bytes the state is left out: stateOmitted true', async () => {
    const hooked = await hookedServer(['document.ended'], { webhookMaxStateBytes: 16 });
    const { provider, doc } = connectClient(hooked.server.url, 'big', { token: await hooked.server.token() });
    try {
      await waitForSync(provider);
      doc.getText('t').insert(0, 'x'.repeat(100));
      await eventually(() => (hooked.server.server.documents.getSession(hooked.server.key('big'))?.encodeState().length ?? 0) > 100, 5_000, 'stored');
      destroyAll([provider]);
      await eventually(() => hooked.bodies('document.ended').length === 1, 5_000, 'document.ended');
      const [ended] = hooked.bodies('document.ended');
      assert.equal(ended.stateOmitted, true);
      assert.equal('state' in ended, false);
      assert.ok(Number(ended.stateBytes) > 100);
    } finally {
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-14: a shutdown writes document.ended (reason shutdown) to the outbox before the stores close', async () => {
    const hooked = await hookedServer(['document.ended'], {}, () => 503);
    const { provider, doc } = connectClient(hooked.server.url, 'deploy', { token: await hooked.server.token() });
    try {
      await waitForSync(provider);
      doc.getText('t').insert(0, 'kept across a deploy');
      await eventually(() => (hooked.server.server.documents.getSession(hooked.server.key('deploy'))?.encodeState().length ?? 0) > 20, 5_000, 'stored');
      await hooked.server.server.close();
      const [delivery] = await webhookStoreOf(hooked.server.stores).listDeliveries('ep', { failedOnly: false, limit: 10 });
      assert.equal(delivery.eventType, 'document.ended');
      assert.equal(delivery.status, 'pending', 'the next node to start sends it');
      const [claimed] = await webhookStoreOf(hooked.server.stores).claimDue({ owner: 'next/1', now: Date.now() + 3_600_000, leaseMs: 1_000, limit: 1, maxPerEndpoint: 1 });
      const data = JSON.parse(claimed.data) as { reason: string; state: string };
      assert.equal(data.reason, 'shutdown');
      const restored = new Y.Doc();
      Y.applyUpdate(restored, Buffer.from(data.state, 'base64'));
      assert.equal(restored.getText('t').toString(), 'kept across a deploy');
    } finally {
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-15: an archived board sends board.archived with its id, reason and last sequence', async () => {
    const hooked = await hookedServer(['board.archived']);
    try {
      const boardKey = hooked.server.key('plan');
      await hooked.server.server.boards.joinSession(boardKey, 'u1', 'Ann');
      await hooked.server.server.boards.applyMutations(boardKey, 'u1', [{ op: 'upsert', pageId: 'p', element: { id: 'e1', type: 'note' } }] as never);
      await hooked.server.server.boards.closeSession(boardKey);
      await eventually(() => hooked.bodies('board.archived').length === 1, 5_000, 'board.archived');
      assert.deepEqual(hooked.bodies('board.archived'), [{ tenantId: 'acme', appId: 'editor', boardId: 'plan', reason: 'closed', sequence: 1 }]);
    } finally {
      await hooked.close();
    }
  });

  it('HOOK-16: a first connect refused for maxDocuments sends quota.reached (once per interval)', async () => {
    const hooked = await hookedServer(['quota.reached']);
    const { provider } = connectClient(hooked.server.url, 'first', { token: await hooked.server.token() });
    const raws: RawClient[] = [];
    try {
      await waitForSync(provider);
      for (const name of ['second', 'third']) {
        const raw = RawClient.connect(hooked.server.url, name, ['Bearer', await hooked.server.token()]);
        raws.push(raw);
        const closed = await raw.waitForClose();
        assert.equal(closed.code, 4429);
      }
      await eventually(() => hooked.bodies('quota.reached').length === 1, 5_000, 'quota.reached');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(hooked.bodies('quota.reached'), [{ tenantId: 'acme', appId: 'editor', documentName: 'second', maxDocuments: 1 }]);
    } finally {
      for (const raw of raws) raw.close();
      destroyAll([provider]);
      await hooked.close();
    }
  });

  it('HOOK-10: an endpoint that never answers does not delay document sync', async () => {
    const hooked = await hookedServer(null, { webhookUpdateIntervalMs: 100 }, () => 'hang');
    const token = await hooked.server.token();
    const a = connectClient(hooked.server.url, 'live', { token });
    const b = connectClient(hooked.server.url, 'live', { token });
    try {
      await Promise.all([waitForSync(a.provider), waitForSync(b.provider)]);
      await eventually(() => hooked.receiver.received.length >= 1, 5_000, 'the first hanging request');
      for (let i = 0; i < 30; i++) {
        a.doc.getText('t').insert(0, `${i},`);
        const want = a.doc.getText('t').toString();
        // Each edit reaches the other client while the endpoint holds requests open.
        await eventually(() => b.doc.getText('t').toString() === want, 2_000, `edit ${i} at the other client`);
      }
      assert.ok(hooked.server.server.webhooks!.dispatcher.attemptsInFlight > 0, 'attempts were open at the hanging endpoint throughout');
      assert.equal(hooked.receiver.concurrent, hooked.receiver.received.length, 'none of them was answered');
    } finally {
      destroyAll([a.provider, b.provider]);
      await hooked.close();
    }
  });
});
