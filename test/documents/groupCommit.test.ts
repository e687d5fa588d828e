import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { step1Frame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { openSlowControlStores, type SlowControlStores } from '../helpers/slowControlStores.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';

const connects = 300;
const documents = 30;

/**
 * Counts, not times (timed targets live in bench/storm/slowStoreStorm.ts): a storm of connects
 * on a control store where every request costs 5 ms. One store request per connect (its
 * `active_sessions` row) plus four per new document would be 1.4 requests per connect here.
 */
describe('PERF-7: group commit of the connect path', () => {
  let server: TestServer;
  let stores: SlowControlStores;
  before(async () => {
    server = await startTestServer({
      config: { maxConnectsPerIpPerMinute: 0 },
      openControlStores: async (url) => (stores = await openSlowControlStores({ url, delayMs: 5 })),
    });
  });
  after(async () => server.close());

  it(`${connects} connects to ${documents} documents at once share store round trips: well under one per connect`, async () => {
    const token = await server.token();
    stores.counters.reset();
    const clients = Array.from({ length: connects }, (_, i) => RawClient.connect(server.url, `storm-${i % documents}`, ['Bearer', token]));
    await Promise.all(
      clients.map(async (client) => {
        await client.opened;
        client.send(step1Frame());
        await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 1, 20_000);
      }),
    );
    const { roundTrips, statements } = stores.counters;
    assert.equal(server.server.documents.size, documents);
    assert.ok(roundTrips / connects < 0.25, `${roundTrips} round trips for ${connects} connects`);
    // Each connect's row, and per new document a creation check and a pin (3 statements each).
    assert.ok(statements <= connects + documents * 6 + 5, `${statements} statements for ${connects} connects`);
    let live = 0;
    for (let i = 0; i < documents; i++) live += await server.stores.routing.countConnections(server.key(`storm-${i}`));
    assert.equal(live, connects, 'every connection is registered');

    stores.counters.reset();
    for (const client of clients) client.close();
    let polls = 0;
    await waitFor(async () => {
      polls++;
      return (await server.stores.routing.countConnections(server.key('storm-0'))) === 0 && server.server.documents.getSession(server.key('storm-0'))?.lifecycle.state.kind === 'idle';
    });
    // Removals are grouped, and so are the counts of the documents' last leaves.
    const leaving = stores.counters.roundTrips - polls;
    assert.ok(leaving / connects < 0.25, `${leaving} round trips for ${connects} disconnects`);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
