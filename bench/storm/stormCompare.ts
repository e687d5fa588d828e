/**
 * Connect storms on wiresocket and @y/websocket-server, alternately, each on a fresh process:
 * `clients` sockets opened at once over `docs` documents, time until every one is synced.
 *
 *   node dist/bench/storm/stormCompare.js [--clients 1000] [--docs 100] [--rounds 3]
 *     [--redis-url redis://127.0.0.1:6379] [--warm] [--cpu-prof-dir DIR]
 *
 * `--warm` runs one storm on other documents first and measures the second (a server whose
 * connect path is compiled); without it the storm hits a cold process, as a restart would.
 */
import { parseArgs } from 'node:util';
import { connectStorm, type StormOutcome } from './stormClient.js';
import { startStormServer, type StormServerKind } from './stormServers.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    docs: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    'redis-url': { type: 'string' },
    warm: { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
    only: { type: 'string' },
  },
});
const clients = Number(values.clients);
const docs = Number(values.docs);
const rounds = Number(values.rounds);
const kinds: StormServerKind[] = values.only ? [values.only as StormServerKind] : ['y-websocket-server', 'wiresocket'];

async function stormOn(kind: StormServerKind, round: number): Promise<StormOutcome> {
  const nodeFlags = values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : [];
  const server = await startStormServer({ kind, redisUrl: kind === 'wiresocket' ? values['redis-url'] : undefined, nodeFlags });
  try {
    if (values.warm) {
      const warmup = await connectStorm(server.url, server.token, clients, docs, `warm-${round}`);
      warmup.close();
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    const { outcome, close } = await connectStorm(server.url, server.token, clients, docs, `storm-${round}`);
    close();
    return outcome;
  } finally {
    await server.stop();
  }
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const results = new Map<StormServerKind, number[]>(kinds.map((kind) => [kind, []]));
const shape = values['redis-url'] ? 'Redis' : 'embedded';
process.stdout.write(`storm: ${clients} clients over ${docs} documents, ${values.warm ? 'warm' : 'cold'} process, wiresocket ${shape}\n`);
for (let round = 0; round < rounds; round++) {
  for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
    const outcome = await stormOn(kind, round);
    results.get(kind)!.push(outcome.allSyncedMs);
    const errors = outcome.errors > 0 ? `, ${outcome.errors} errors (${outcome.firstError})` : '';
    process.stdout.write(`  round ${round + 1} ${kind.padEnd(18)} all synced ${outcome.allSyncedMs.toFixed(0)} ms, p50 ${quantile(outcome.syncedAtMs, 0.5).toFixed(0)} ms${errors}\n`);
  }
}
for (const [kind, times] of results) {
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(`${kind.padEnd(18)} median ${quantile(sorted, 0.5).toFixed(0)} ms over ${times.length} (${times.map((t) => t.toFixed(0)).join(', ')})\n`);
}
