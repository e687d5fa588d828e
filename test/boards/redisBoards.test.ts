import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ElementMutation } from '../../src/storage/boardElements.js';
import { RedisBoardBus } from '../../src/boards/redisBoardBus.js';
import { RedisSyncLayer } from '../../src/sync/redisSyncLayer.js';
import { RawBoardClient } from '../helpers/rawBoardClient.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';
import { adminClient, deleteKeysUnder, sharedRedisGate, standaloneRedisUrl } from '../sync/redisTestSupport.js';

const gate = await sharedRedisGate();

/** Every sequence a client learnt about: from its acks and from the others' mutations. */
function sequencesSeen(client: RawBoardClient): number[] {
  const seen: number[] = [];
  for (const ack of client.of('ack')) for (let offset = ack.applied - 1; offset >= 0; offset--) seen.push(ack.sequence - offset);
  for (const message of client.of('mutations')) for (let offset = message.mutations.length - 1; offset >= 0; offset--) seen.push(message.sequence - offset);
  return seen.sort((x, y) => x - y);
}

describe('boards: two nodes on one Redis and one storage', { skip: gate.skip }, () => {
  const keyPrefix = `ws-boards-${randomUUID().slice(0, 8)}`;
  let nodeA: TestServer;
  let nodeB: TestServer;
  const clients: RawBoardClient[] = [];
  const onRedis = { createSyncLayer: (nodeId: string) => new RedisSyncLayer({ nodeId, url: standaloneRedisUrl, keyPrefix }), createBoardBus: (nodeId: string) => new RedisBoardBus({ nodeId, url: standaloneRedisUrl, keyPrefix }) };

  before(async () => {
    assert.ok(gate.available, 'Redis must answer on 127.0.0.1:6379 (CI=true)');
    nodeA = await startTestServer({ config: { nodeId: `boards-a-${keyPrefix}` }, ...onRedis });
    nodeB = await startTestServer({ config: { nodeId: `boards-b-${keyPrefix}` }, ...onRedis, shareWith: nodeA });
  });
  after(async () => {
    for (const client of clients) client.close();
    await nodeB?.close();
    await nodeA?.close();
    const admin = adminClient();
    await deleteKeysUnder(admin, keyPrefix);
    admin.disconnect();
  });

  it('BOARD-32: participants on both nodes writing at once get one gap-free order, and each sees every mutation exactly once', { timeout: 60_000 }, async () => {
    const boardId = 'cross-node';
    for (const [index, node] of [nodeA, nodeA, nodeA, nodeB, nodeB, nodeB].entries()) {
      const { client } = await RawBoardClient.join(node.url, boardId, await nodeA.token({ userId: `writer-${index}` }), { displayName: `W${index}` });
      clients.push(client);
    }
    const onA = clients[0];
    await eventually(() => onA.of('participant-joined').length >= 5, 5000, 'participants of both nodes to be announced');
    let batches = 0;
    for (let round = 0; round < 15; round++) {
      clients.forEach((client, index) => {
        const mutations: ElementMutation[] = Array.from({ length: 1 + ((round + index) % 3) }, (_, offset) => ({ op: 'upsert', pageId: `p${index % 2}`, element: { id: `w${index}-${round}-${offset}`, type: 'dot' } }));
        client.send({ type: 'mutate', clientBatchId: `${index}-${round}`, mutations });
        batches++;
      });
    }
    await eventually(() => clients.every((client) => client.of('ack').length === 15), 30_000, 'every batch acknowledged');
    const head = Math.max(...clients.flatMap((client) => client.of('ack').map((ack) => ack.sequence)));
    const everything = Array.from({ length: head }, (_, index) => index + 1);
    await eventually(() => clients.every((client) => sequencesSeen(client).length >= head), 10_000, 'every mutation to reach every participant');
    for (const [index, client] of clients.entries()) assert.deepEqual(sequencesSeen(client), everything, `client ${index} saw each of 1..${head} exactly once`);
    const stored = await nodeA.boardStorage.getEventsSince(nodeA.key(boardId), 0, 10_000);
    assert.deepEqual(stored.map(({ sequence }) => sequence), everything, 'the log is gap-free');
    assert.equal(batches, 90);
    const state = async (node: TestServer) => {
      const response = await fetch(`${node.url.replace(/^ws/, 'http')}/v1/boards/${boardId}`, { headers: { authorization: `Bearer ${await node.token()}` } });
      return response.json();
    };
    assert.deepEqual(await state(nodeA), await state(nodeB), 'both nodes hold the same board');
  });
});
