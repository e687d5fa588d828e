import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { step1Frame } from '../helpers/frames.js';
import { RawClient } from '../helpers/rawClient.js';
import { openSlowControlStores, type SlowControlStores } from '../helpers/slowControlStores.js';
import { startTestServer, type TestServer } from '../helpers/testServer.js';
import { eventually } from '../helpers/yjsClient.js';

/**
 * Issue 15, point 8: what one connect asks the global routing store, counted (not timed) on a
 * store that counts every request. Connects are made one at a time, so no group commit hides a
 * round trip: these are the costs of a lone connect.
 */
describe('REGION-14: the routing-store round trips of one connect', () => {
  let server: TestServer;
  let stores: SlowControlStores;
  const clients: RawClient[] = [];
  before(async () => {
    server = await startTestServer({
      config: { maxConnectsPerIpPerMinute: 0, graceMs: 60_000 },
      openControlStores: async (url) => (stores = await openSlowControlStores({ url, delayMs: 0 })),
    });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  /** Connects, waits for the server's step 2, and answers the round trips it took. */
  const connectCost = async (name: string) => {
    const token = await server.token();
    stores.counters.reset();
    const client = RawClient.connect(server.url, name, ['Bearer', token]);
    clients.push(client);
    await client.opened;
    client.send(step1Frame());
    await client.waitForFrame((frame) => frame.type === 0 && frame.subType === 1);
    return { client, roundTrips: stores.counters.roundTrips };
  };

  it('REGION-14: a connect to a document live on this node waits on the store once (its active_sessions row); a first connect three times', async () => {
    await connectCost('warm-up'); // the app's key is read once, then cached
    const first = await connectCost('cost-doc');
    assert.equal(first.roundTrips, 3, 'creation check, pin, connection row');
    for (let index = 0; index < 3; index++) assert.equal((await connectCost('cost-doc')).roundTrips, 1, 'only the connection row');
  });

  it('REGION-14: a connect that rejoins a document in its grace waits twice: its row, then the route it must still hold', async () => {
    const { client } = await connectCost('cost-grace');
    client.close();
    await eventually(() => server.server.documents.getSession(server.key('cost-grace'))?.lifecycle.state.kind === 'idle', 5_000, 'the grace');
    assert.equal((await connectCost('cost-grace')).roundTrips, 2);
  });
});
