import { rm } from 'node:fs/promises';
import { devAppId, devTenantId } from '../../src/tenancy/index.js';
import { startTestServer, type TestApp, type TestServer, type TestServerOptions } from './testServer.js';

/** A test server with the demo on and the dev bootstrap's `dev/demo` app: what `npm start` serves. */
export interface DemoServer {
  /** The page's address, `http://127.0.0.1:<port>/`. */
  readonly pageUrl: string;
  readonly port: number;
  /** The running node; null while stopped. */
  readonly current: TestServer | null;
  readonly devApp: TestApp;
  /** Graceful shutdown of the node (clients get 1012 and then find nothing listening). */
  stop(): Promise<void>;
  /** A new node on the same port and data dir. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startDemoServer(options: Omit<TestServerOptions, 'shareWith'> = {}): Promise<DemoServer> {
  const first = await startTestServer({ ...options, config: { demo: true, ...options.config } });
  const devApp = await first.addApp(devTenantId, devAppId);
  const port = first.server.port;
  let current: TestServer | null = first;
  const stopCurrent = async () => {
    if (current === null) return;
    const running = current;
    current = null;
    // Not `close()`: the first server's close removes the data dir.
    await running.server.close();
    await Promise.all([running.stores.close(), running.boardStorage.close()]);
  };
  return {
    pageUrl: `http://127.0.0.1:${port}/`,
    port,
    devApp,
    get current() {
      return current;
    },
    stop: stopCurrent,
    async start() {
      if (current !== null) return;
      current = await startTestServer({ ...options, shareWith: first, config: { demo: true, ...options.config, port } });
    },
    async close() {
      await stopCurrent();
      await rm(first.dataDir, { recursive: true, force: true });
    },
  };
}
