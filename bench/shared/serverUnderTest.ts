import type { LoopDelayReader } from './loopDelayReader.js';
import type { RedisProbe } from './redisProbe.js';
import type { WireDialect } from './wireDialect.js';

/** One server as a scenario sees it: where to connect, how to speak, which processes to watch. */
export interface RunningServer {
  /** Writers connect here. */
  writerUrl: string;
  /** Readers are spread over these in turn (two nodes: delivery crosses Redis for half of them). */
  readerUrls: readonly string[];
  token: string | null;
  dialect: WireDialect;
  /** The server's processes: CPU and RSS are summed over them. */
  pids: readonly number[];
  /** One event-loop probe per server process (none for a server started without them). */
  loopProbes: readonly LoopDelayReader[];
  /** Redis, when the server uses it: its CPU is reported beside the server's. */
  redis: RedisProbe | null;
  /** Whether the server keeps documents (false for the relay: no join, no final document to check). */
  keepsDocuments: boolean;
  stop(): Promise<void>;
}

/** The URL reader `index` connects to. */
export function readerUrl(server: RunningServer, index: number): string {
  return server.readerUrls[index % server.readerUrls.length];
}
