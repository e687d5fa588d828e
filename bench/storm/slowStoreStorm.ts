/**
 * A connect storm on a remote-like control store: the server runs in this process with every
 * request to its libSQL database delayed (20 ms by default, a Turso a region away), and
 * `clients` raw y-websocket clients connect at once to `docs` documents. Prints the time until
 * every client is synced and the store statements and round trips per connect.
 *
 *   npm run bench:storm-slow-store -- [--clients 1000] [--docs 100] [--delay-ms 20]
 */
import { parseArgs } from 'node:util';
import { openSlowControlStores, type SlowControlStores } from '../../test/helpers/slowControlStores.js';
import { startTestServer } from '../../test/helpers/testServer.js';
import { connectStorm } from './stormClient.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    docs: { type: 'string', default: '100' },
    'delay-ms': { type: 'string', default: '20' },
  },
});
const clients = Number(values.clients);
const docs = Number(values.docs);
const delayMs = Number(values['delay-ms']);

let stores: SlowControlStores | null = null;
const server = await startTestServer({
  config: { maxConnectsPerIpPerMinute: 0, maxMessagesPerSecond: 1_000_000, messageBurst: 1_000_000 },
  maxDocuments: Math.max(1000, docs),
  openControlStores: async (url) => (stores = await openSlowControlStores({ url, delayMs })),
});
try {
  const token = await server.token();
  const counters = stores!.counters;
  counters.reset();
  const { outcome, close } = await connectStorm(server.url, token, clients, docs, 'slow-store');
  const { roundTrips, statements } = counters;
  close();
  const p50 = outcome.syncedAtMs[Math.floor(outcome.syncedAtMs.length / 2)] ?? NaN;
  process.stdout.write(
    `${clients} clients over ${docs} documents, every control store request delayed ${delayMs} ms:\n` +
      `  all synced in ${outcome.allSyncedMs.toFixed(0)} ms (p50 ${p50.toFixed(0)} ms), ${outcome.errors} errors${outcome.firstError ? ` (${outcome.firstError})` : ''}\n` +
      `  ${roundTrips} round trips (${(roundTrips / clients).toFixed(3)} per connect), ${statements} statements (${(statements / clients).toFixed(2)} per connect)\n`,
  );
  if (outcome.errors > 0) process.exitCode = 1;
} finally {
  await server.close();
}
