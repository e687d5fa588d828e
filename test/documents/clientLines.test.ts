import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as Y14 from '@y/y';
import { WebsocketProvider as WebsocketProvider4 } from '@y/websocket';
import { WebSocket } from 'ws';
import { WebsocketProvider as WebsocketProvider3 } from 'y-websocket';
import { WebsocketProvider as WebsocketProvider3rc5 } from 'y-websocket-3rc5';
import * as Y from 'yjs';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { connectClient, eventually, waitForSync } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, redisAnswers, standaloneRedisUrl } from '../sync/redisTestSupport.js';

const require = createRequire(import.meta.url);
const versionOf = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;
const ci = process.env.CI === 'true';
const redisAvailable = await redisAnswers();
const polyfill = WebSocket as unknown as typeof globalThis.WebSocket;
/** @y/websocket 4 types its polyfill from its own lib0 (a stricter WebSocket shape). */
const polyfill4 = WebSocket as unknown as NonNullable<NonNullable<ConstructorParameters<typeof WebsocketProvider4>[3]>['WebSocketPolyfill']>;

interface Destroyable {
  destroy(): void;
  awareness: { destroy(): void };
}

describe('the client lines of issue 16: y-websocket 3.1.0-rc.5 and 3.1.0, @y/websocket 4.0.0-3 on Yjs 14', () => {
  const keyPrefix = `ws-test-${randomUUID()}`;
  let memory: TestServer;
  let redis: TestServer | null = null;
  const made: Destroyable[] = [];
  before(async () => {
    memory = await startTestServer();
    if (redisAvailable || ci) redis = await startTestServer({ createSyncLayer: (nodeId) => new RedisSyncLayer({ nodeId, url: standaloneRedisUrl, keyPrefix }) });
  });
  after(async () => {
    for (const provider of made) {
      provider.destroy();
      provider.awareness.destroy();
    }
    await memory.close();
    await redis?.close();
    if (!redisAvailable) return;
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  const syncStatusGoesGreen = async (server: TestServer, name: string) => {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider3rc5(server.url, name, doc, { WebSocketPolyfill: polyfill, protocols: ['Bearer', await server.token()], disableBc: true });
    made.push(provider);
    await eventually(() => provider.syncStatus.status === 'green', 5000, 'green after the initial sync');
    // The client says yellow only once an unconfirmed edit is older than 0 ms (its age is in
    // whole ms), so the events are followed by what they say about the edit: pending, then confirmed.
    const events: Array<{ status: string; pending: boolean }> = [];
    provider.on('sync-status', (status) => events.push({ status: status.status, pending: !status.localUpdatesSynced }));
    doc.getText('t').insert(0, 'saved?');
    assert.equal(provider.syncStatus.localUpdatesSynced, false, 'the edit waits for its echo');
    await eventually(() => provider.syncStatus.status === 'green' && provider.syncStatus.localUpdatesSynced, 5000, 'green after the edit');
    const pendingAt = events.findIndex((event) => event.pending);
    const confirmedAt = events.findIndex((event, index) => index > pendingAt && !event.pending && event.status === 'green');
    assert.ok(pendingAt >= 0 && confirmedAt > pendingAt, `pending, then green: ${JSON.stringify(events)}`);
    assert.ok(events.slice(pendingAt, confirmedAt).every((event) => event.status !== 'red'), 'never red on the way');
  };

  it('CLIENT-1: y-websocket 3.1.0-rc.5 goes yellow -> green after a local edit (memory shape)', async () => {
    assert.equal(versionOf('y-websocket-3rc5'), '3.1.0-rc.5');
    await syncStatusGoesGreen(memory, 'status-memory');
  });

  it('CLIENT-1: y-websocket 3.1.0-rc.5 goes yellow -> green after a local edit (Redis shape)', { skip: redisAvailable || ci ? false : 'Redis is not answering on 127.0.0.1:6379' }, async () => {
    assert.ok(redis, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    await syncStatusGoesGreen(redis, 'status-redis');
  });

  it('CLIENT-2: y-websocket 3.1.0 takes 4401, 4403 and 4429 as final: `closed`, and no reconnect', async () => {
    assert.equal(versionOf('y-websocket'), '3.1.0');
    const tiny = await memory.addApp(`tiny${Date.now()}`, 'app', 1);
    const holder = connectClient(memory.url, 'only-one', { token: await memory.token({ app: tiny }) });
    made.push(holder.provider);
    await waitForSync(holder.provider);
    const cases: Array<[number, string, string]> = [
      [4401, 'any', 'not.a.jwt'],
      [4403, 'not-granted', await memory.token({ docs: ['granted'] })],
      [4429, 'a-second-one', await memory.token({ app: tiny })],
    ];
    for (const [code, name, token] of cases) {
      const provider = new WebsocketProvider3(memory.url, name, new Y.Doc(), { WebSocketPolyfill: polyfill, protocols: ['Bearer', token], disableBc: true });
      made.push(provider);
      const closed = await new Promise<{ code: number }>((resolve) => provider.on('closed', (event) => resolve(event)));
      assert.equal(closed.code, code);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(provider.wsconnecting || provider.wsconnected, false, `${code}: no reconnect`);
    }
  });

  it('CLIENT-3: @y/websocket 4.0.0-3 on @y/y 14.0.0-rc.7 converges with a yjs 13 client on text, map, array and nested types; a late joiner gets it all', async () => {
    assert.equal(versionOf('@y/websocket'), '4.0.0-3');
    assert.equal(versionOf('@y/y'), '14.0.0-rc.7');
    const token = await memory.token();
    const doc14 = new Y14.Doc();
    const provider14 = new WebsocketProvider4(memory.url, 'fourteen', doc14, { WebSocketPolyfill: polyfill4, protocols: ['Bearer', token], disableBc: true });
    made.push(provider14);
    const client13 = connectClient(memory.url, 'fourteen', { token });
    made.push(client13.provider);
    await eventually(() => provider14.synced, 5000, 'the Yjs 14 client synced');
    await waitForSync(client13.provider);

    doc14.get('text').insert(0, 'from 14;');
    client13.doc.getText('text').insert(0, 'from 13;');
    doc14.get('map').setAttr('a', 1);
    client13.doc.getMap('map').set('b', 'two');
    doc14.get('list').insert(0, ['x', 'y']);
    client13.doc.getArray('list').insert(0, [3]);
    const nested13 = new Y.Map<unknown>();
    nested13.set('inner', 'deep');
    client13.doc.getMap('nest').set('child', nested13);

    const text13 = () => client13.doc.getText('text').toString();
    await eventually(() => text13().length === 16 && doc14.get('text').toString() === text13(), 5000, 'text converges');
    await eventually(() => client13.doc.getMap('map').get('a') === 1 && doc14.get('map').getAttr('b') === 'two', 5000, 'map converges');
    await eventually(() => client13.doc.getArray('list').length === 3 && doc14.get('list').length === 3, 5000, 'array converges');
    await eventually(() => Buffer.from(Y14.encodeStateVector(doc14)).equals(Buffer.from(Y.encodeStateVector(client13.doc))), 5000, 'identical state vectors');

    const late = connectClient(memory.url, 'fourteen', { token });
    made.push(late.provider);
    await waitForSync(late.provider);
    await eventually(() => Buffer.from(Y.encodeStateAsUpdate(late.doc)).equals(Buffer.from(Y.encodeStateAsUpdate(client13.doc))), 5000, 'the late joiner has it all');
    assert.equal(late.doc.getText('text').toString(), text13());
    assert.equal((late.doc.getMap('nest').get('child') as Y.Map<unknown>).get('inner'), 'deep');
  });
});
