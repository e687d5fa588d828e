import { performance } from 'node:perf_hooks';
import { connectPooled } from '../../shared/connectPool.js';
import { processRssBytes } from '../../shared/processCpu.js';
import { readerUrl, type RunningServer } from '../../shared/serverUnderTest.js';
import { sleep } from '../../shared/withDeadline.js';
import { YjsWireClient } from '../../shared/yjsWireClient.js';

export interface IdleSpec {
  connections: number;
  docs: number;
  /** Rest before each RSS sample, so the server settles (timers run, buffers are freed). */
  settleMs: number;
}

export interface IdleResult {
  kind: 'idle';
  connections: number;
  docs: number;
  connectMs: number;
  settleMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  closes: number;
}

/** Connections made (and kept) before the "before" sample: first-use costs (modules, JIT, pools) are not per connection. */
const warmConnections = 100;
/** In flight at once: the connects go as fast as the server takes them (accept queue permitting). */
const connectConcurrency = 128;

/**
 * `connections` synced sockets spread over `docs` documents, sending nothing: server RSS
 * after minus before, per connection. RSS is what the machine pays; no GC is forced (no server
 * runs with --expose-gc), so it includes whatever garbage the server has not collected yet.
 */
export async function runIdleScenario(server: RunningServer, spec: IdleSpec, namePrefix: string): Promise<IdleResult> {
  const sockets: YjsWireClient[] = [];
  const connect = (docName: string, index: number) => async () => {
    sockets.push(await YjsWireClient.connect({ serverUrl: readerUrl(server, index), docName, token: server.token, dialect: server.dialect, onUpdate: () => undefined }));
  };
  try {
    await connectPooled(Array.from({ length: warmConnections }, (_, index) => connect(`${namePrefix}-warm`, index)), connectConcurrency);
    await sleep(spec.settleMs);
    const rssBeforeBytes = totalRss(server);
    const started = performance.now();
    await connectPooled(Array.from({ length: spec.connections }, (_, index) => connect(`${namePrefix}-${index % spec.docs}`, index)), connectConcurrency);
    const connectMs = performance.now() - started;
    await sleep(spec.settleMs);
    const rssAfterBytes = totalRss(server);
    const closes = sockets.reduce((total, socket) => total + socket.unexpectedCloses, 0);
    return { kind: 'idle', ...spec, connectMs, rssBeforeBytes, rssAfterBytes, bytesPerConnection: (rssAfterBytes - rssBeforeBytes) / spec.connections, closes };
  } finally {
    for (const socket of sockets) socket.close();
  }
}

function totalRss(server: RunningServer): number {
  return server.pids.reduce((total, pid) => total + processRssBytes(pid), 0);
}
