/**
 * @hocuspocus/server 4.x as a plain in-memory server: no extensions (nothing stored, no Redis,
 * no logger extension), `quiet` (no start screen), defaults otherwise, so what is measured is
 * its message path as shipped: `flushDelay` 0 (updates arriving in one event-loop turn go out
 * merged), the `onStoreDocument` debounce (2 s, at most 10 s) running a no-op hook.
 * One change: `timeout` (60 s) closes a connection that sends nothing for that long. The
 * stock provider keeps it alive with awareness every 15 s; the raw load generator sends no
 * awareness, so the timeout is raised beyond any run instead of adding traffic the other
 * servers do not get. Run by the benchmark: `node dist/bench/peers/servers/hocuspocusPeer.js`.
 */
import { Server } from '@hocuspocus/server';
import { announceListening, exitOnSigterm } from './announceListening.js';

const server = new Server({
  port: 0,
  address: '127.0.0.1',
  quiet: true,
  extensions: [],
  timeout: 30 * 60_000,
  // The benchmark stops the peer with SIGTERM; Hocuspocus' own handler would wait for unloads.
  stopOnSignals: false,
});

exitOnSigterm();
await server.listen();
announceListening(server.httpServer);
