import { rm } from 'node:fs/promises';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/testServer.js';

/** A test server that can be restarted on the same port and data: what a deploy does to clients. */
export interface RestartableServer {
  readonly current: TestServer;
  readonly url: string;
  /** Graceful shutdown (clients get 1012), then a new node on the same port and data dir. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartableServer(options: Omit<TestServerOptions, 'shareWith'> = {}): Promise<RestartableServer> {
  const first = await startTestServer(options);
  const port = first.server.port;
  let current = first;
  return {
    get current() {
      return current;
    },
    url: first.url,
    async restart() {
      // Not `current.close()`: the first server's close removes the data dir.
      await current.server.close();
      await Promise.all([current.stores.close(), current.boardStorage.close()]);
      current = await startTestServer({ ...options, shareWith: first, config: { ...options.config, port } });
    },
    async close() {
      if (current === first) return first.close();
      await current.close();
      await rm(first.dataDir, { recursive: true, force: true });
    },
  };
}
