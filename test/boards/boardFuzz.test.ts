import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { BoardElement, ElementMutation } from '../../src/storage/boardElements.js';
import { BoardClient } from '../../src/client/index.js';
import { startRestartableServer, type RestartableServer } from '../client/restartableServer.js';
import { below, seededRandom, sleep } from '../helpers/randomEditors.js';
import { eventually } from '../helpers/yjsClient.js';

/** The only place this file reads the environment: a seed replays the mutation choices. */
const seed = Number(process.env.BOARD_FUZZ_SEED ?? 0xb0a4d);
const durationMs = 20_000;
const boardId = 'fuzzed-board';
const pages = ['p0', 'p1', 'p2'];

type Pages = Record<string, BoardElement[]>;

/** Pages compared by content: elements by id, empty pages dropped (the server lists none). */
function normalized(pagesOf: Pages): Record<string, BoardElement[]> {
  const out: Record<string, BoardElement[]> = {};
  for (const [pageId, elements] of Object.entries(pagesOf)) {
    if (elements.length > 0) out[pageId] = [...elements].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return out;
}

function randomMutations(client: BoardClient, random: () => number, count: number, tag: string): ElementMutation[] {
  const visible = client.state().pages;
  return Array.from({ length: count }, (): ElementMutation => {
    const pageId = pages[below(random, pages.length)];
    const present = visible[pageId] ?? [];
    const roll = random();
    if (roll < 0.25 && present.length > 0) return { op: 'delete', pageId, elementId: present[below(random, present.length)].id };
    const element = { id: `e${below(random, 60)}`, type: roll < 0.6 ? 'rect' : 'text', x: below(random, 1000), by: tag };
    // Some upserts of ids that may be deleted say so: they re-create; the others may be refused.
    return roll > 0.9 ? { op: 'upsert', pageId, element, recreate: true } : { op: 'upsert', pageId, element };
  });
}

describe('boards: fuzz with the typed client', () => {
  let server: RestartableServer;
  const clients: BoardClient[] = [];
  const syncTypes: string[] = [];
  /** Each client's joins, in order ('full' or 'delta'). */
  const joinsOf = new Map<BoardClient, string[]>();
  before(async () => {
    server = await startRestartableServer({ config: { boardMaxBatchesPerSecond: 100 } });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  const newClient = async (index: number) => {
    const token = await server.current.token({ userId: `fuzz-${index}` });
    const client = new BoardClient({ url: server.url, boardId, token, displayName: `F${index}`, WebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 300 } });
    joinsOf.set(client, []);
    client.on('synced', ({ syncType }) => {
      syncTypes.push(syncType);
      joinsOf.get(client)?.push(syncType);
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  const getBoard = async () => {
    const response = await fetch(`${server.url.replace(/^ws/, 'http')}/v1/boards/${boardId}`, { headers: { authorization: `Bearer ${await server.current.token()}` } });
    return (await response.json()) as { sequence: number; pages: Pages };
  };

  /** Random batches at random times, with random disconnects and reconnects (stale lastSequence: a delta). */
  async function wander(client: BoardClient, index: number, random: () => number, endAt: number): Promise<void> {
    while (Date.now() < endAt) {
      await sleep(20 + below(random, 80));
      if (random() < 0.03) {
        client.close();
        await sleep(100 + below(random, 1400));
        void client.connect().catch(() => undefined);
        continue;
      }
      client.mutate(randomMutations(client, random, 1 + below(random, 5), `c${index}`));
    }
  }

  /** Away while a bulk writer logs thousands of events: it must come back with a full sync. */
  async function sleeper(client: BoardClient, bulk: BoardClient, random: () => number): Promise<void> {
    await sleep(4_000);
    client.close();
    // New elements only, so every one is logged: far more than the 1,000-event delta window.
    for (let round = 0; round < 12; round++) {
      bulk.mutate(Array.from({ length: 200 }, (_, index): ElementMutation => ({ op: 'upsert', pageId: pages[index % 3], element: { id: `bulk-${round}-${index}`, type: 'dot' } })));
      await sleep(300 + below(random, 100));
    }
    await client.connect();
  }

  it('BOARD-35: 10 clients, random mutations, disconnects and reconnects for 20 s: every client equals GET, and the stored board after a restart', { timeout: 120_000 }, async (t) => {
    const random = seededRandom(seed);
    for (let index = 0; index < 10; index++) await newClient(index);
    const endAt = Date.now() + durationMs;
    await Promise.all([
      ...clients.slice(0, 8).map((client, index) => wander(client, index, seededRandom(below(random, 2 ** 32)), endAt)),
      sleeper(clients[9], clients[8], seededRandom(below(random, 2 ** 32))),
    ]);
    await Promise.all(clients.map((client) => client.connect()));
    await Promise.all(clients.map((client) => client.whenSettled()));
    const board = await getBoard();
    await eventually(() => clients.every((client) => client.confirmedState().sequence === board.sequence), 10_000, 'every client at the head');
    const expected = normalized(board.pages);
    for (const [index, client] of clients.entries()) {
      assert.deepEqual(normalized(client.confirmedState().pages), expected, `client ${index}: confirmed state`);
      assert.deepEqual(normalized(client.state().pages), expected, `client ${index}: visible state`);
    }
    t.diagnostic(`seed ${seed}: ${board.sequence} events; joins: ${syncTypes.filter((type) => type === 'delta').length} delta, ${syncTypes.filter((type) => type === 'full').length} full`);
    assert.equal(joinsOf.get(clients[9])?.at(-1), 'full', 'the client away for 2,400 events came back with a full sync');
    assert.ok(syncTypes.filter((type) => type === 'delta').length >= 5, `reconnects with a stale lastSequence got deltas: ${syncTypes.join(',')}`);
    assert.ok(board.sequence > 2_400, `the log grew past the delta window (${board.sequence})`);

    for (const client of clients) client.close();
    await server.restart();
    const restored = await getBoard();
    assert.equal(restored.sequence, board.sequence, 'the head survived the restart');
    assert.deepEqual(normalized(restored.pages), expected, 'the stored board equals what every client holds');
  });
});
