import { randomBytes } from 'node:crypto';
import { defaultNodeId, loadServeConfig, serveFlagNames, serveSwitchNames, type ServeConfig } from '../config.js';
import type { Logger } from '../log.js';
import { adminStoresOf } from '../admin/index.js';
import { openDocumentArchive, type DocumentArchive } from '../archive/index.js';
import { RedisBoardBus } from '../boards/index.js';
import { openControlStores, redactedUrl, type ControlStores } from '../routing/index.js';
import { createEventLogStorage, type EventLogStorage } from '../storage/index.js';
import { WiresocketServer } from '../server/index.js';
import { createSyncLayer } from '../sync/index.js';
import { webhookStoreOf } from '../webhooks/index.js';
import type { CliIo } from './cliIo.js';
import type { CommandContext } from './commandContext.js';
import { bootstrapDevTenant } from './devBootstrap.js';
import { parseCommandArgs, type OptionSpecs } from './parseCommandArgs.js';
import { clientUrl, serveBanner, storeFlagsForHint } from './serveBanner.js';
import type { ShutdownSignals } from './shutdownSignals.js';
import { printUsage } from './usage.js';

const serveOptionSpecs: OptionSpecs = Object.fromEntries(
  serveFlagNames.map((name) => [name, { type: serveSwitchNames.includes(name) ? 'boolean' : 'string' }]),
);

/**
 * OPS-4 asks for an exit within 10 s of SIGTERM. The server's own socket deadline
 * (`--shutdown-timeout-ms`, default 8 s) fits inside; an operator who raises it gets the same
 * 2 s of headroom for ending sessions and closing the stores.
 */
const shutdownDeadlineMs = (config: ServeConfig) => Math.max(10_000, config.shutdownTimeoutMs + 2_000);

interface Running {
  server: WiresocketServer;
  logger: Logger;
  config: ServeConfig;
}

/** `wiresocket serve`: runs one node until SIGTERM or SIGINT, then shuts down gracefully. */
export async function serveCommand({ args, io }: CommandContext): Promise<number> {
  const parsed = parseCommandArgs(args, serveOptionSpecs, 0);
  if (parsed.help) return printUsage(io.stdout);
  const config = loadServeConfig(parsed.flags, io.env);
  // Listen before starting: a SIGTERM during start-up is then handled after it, not fatal.
  const signals = io.signals();
  try {
    const running = await start(config, io, storeFlagsForHint(parsed.flags));
    return await runUntilSignal(running, signals, io);
  } finally {
    signals.dispose();
  }
}

async function start(config: ServeConfig, io: CliIo, hintFlags: string): Promise<Running> {
  const logger = io.createLogger(config.logLevel);
  const stores = await openStores(config);
  try {
    const bootstrap = await bootstrapDevTenant(stores.tenants);
    const nodeConfig = { ...config, nodeId: config.nodeId ?? nodeIdFor(config.port) };
    const server = await startServer(nodeConfig, stores, logger);
    const url = clientUrl(config.host, server.port);
    logger.info({ url, nodeId: server.nodeId, region: config.region }, 'listening');
    io.stdout.write(serveBanner(url, bootstrap, hintFlags, await server.demoAvailable()));
    return { server, logger, config: nodeConfig };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

/** The control store and the board storage (by default the same libSQL file); `close` closes both. */
type ServeStores = ControlStores & { boardStorage: EventLogStorage; archive: DocumentArchive | undefined };

async function openStores(config: ServeConfig): Promise<ServeStores> {
  let control: ControlStores;
  try {
    control = await openControlStores({ url: config.dbUrl, authToken: config.dbAuthToken, commitSync: 'normal' });
  } catch (error) {
    throw new Error(`cannot open the control store ${redactedUrl(config.dbUrl)}: ${(error as Error).message}`, { cause: error });
  }
  let boardStorage: EventLogStorage;
  try {
    boardStorage = await createEventLogStorage({ url: config.storageUrl, authToken: config.storageAuthToken });
  } catch (error) {
    await control.close();
    throw new Error(`cannot open the board storage (--storage-url): ${(error as Error).message}`, { cause: error });
  }
  try {
    const archive = await openArchive(config);
    return { ...control, boardStorage, archive, close: async () => void (await Promise.allSettled([control.close(), boardStorage.close(), archive?.close()])) };
  } catch (error) {
    await Promise.allSettled([control.close(), boardStorage.close()]);
    throw error;
  }
}

async function openArchive(config: ServeConfig): Promise<DocumentArchive | undefined> {
  if (config.archiveUrl === undefined) return undefined;
  try {
    const archive = await openDocumentArchive({ url: config.archiveUrl, s3Endpoint: config.archiveS3Endpoint });
    // An archive that cannot be reached at start would fail every first connect; say so now.
    await archive.ping().catch(async (error: unknown) => {
      await archive.close();
      throw error;
    });
    return archive;
  } catch (error) {
    throw new Error(`cannot open the archive (--archive-url ${redactedUrl(config.archiveUrl)}): ${(error as Error).message}`, { cause: error });
  }
}

async function startServer(config: ServeConfig & { nodeId: string }, stores: ServeStores, logger: Logger): Promise<WiresocketServer> {
  try {
    return await WiresocketServer.start({
      config,
      routing: stores.routing,
      tenants: stores.tenants,
      syncLayer: createSyncLayer({
        nodeId: config.nodeId,
        redisUrl: config.redisUrl,
        redisKeyPrefix: config.redisKeyPrefix,
        redisKeyTtlSeconds: config.redisKeyTtlSeconds,
        compactEveryUpdates: config.redisCompactEveryUpdates,
        compactEveryBytes: config.redisCompactEveryBytes,
        logger,
      }),
      boardStorage: stores.boardStorage,
      archive: stores.archive,
      // Alone without Redis: other processes on the same file see the boards only after a reload.
      boardBus: config.redisUrl ? new RedisBoardBus({ url: config.redisUrl, nodeId: config.nodeId, keyPrefix: config.redisKeyPrefix, logger }) : undefined,
      logger,
      onClosed: () => stores.close(),
      webhooks: webhookStoreOf(stores),
      admin: adminStoresOf(stores),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new Error(`cannot listen on ${config.host}:${config.port}: the address is in use (pick another --port)`, { cause: error });
  }
}

/**
 * The node id names this node's rows in the shared routing table. With an ephemeral port the
 * port is unknown here and the sync layer needs the id before listening, so a random suffix keeps
 * two such nodes on one host apart.
 */
function nodeIdFor(port: number): string {
  return port === 0 ? `${defaultNodeId(0)}-${randomBytes(4).toString('hex')}` : defaultNodeId(port);
}

type ShutdownOutcome = 'closed' | 'deadline' | 'second signal' | 'failed';

/** Waits for a signal, then closes the server (1012 to every socket, stores closed via onClosed). */
async function runUntilSignal({ server, logger, config }: Running, signals: ShutdownSignals, io: CliIo): Promise<number> {
  const signal = await signals.next();
  logger.info({ signal }, 'shutdown requested');
  const deadlineMs = shutdownDeadlineMs(config);
  const outcome = await closeWithin(server, deadlineMs, signals, logger);
  if (outcome === 'closed') return 0;
  const reason = outcome === 'deadline' ? `still running after ${deadlineMs} ms` : outcome;
  io.stderr.write(`wiresocket: shutdown did not complete (${reason}); exiting\n`);
  signals.exit(1);
  return 1;
}

function closeWithin(server: WiresocketServer, deadlineMs: number, signals: ShutdownSignals, logger: Logger): Promise<ShutdownOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const closed = server.close().then(
    (): ShutdownOutcome => 'closed',
    (error: unknown): ShutdownOutcome => {
      logger.error({ err: error }, 'shutdown failed');
      return 'failed';
    },
  );
  const deadline = new Promise<ShutdownOutcome>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
  // A second Ctrl-C means "stop now", as in most servers.
  const impatient = signals.next().then((): ShutdownOutcome => 'second signal');
  // The timer is cleared so a clean shutdown does not keep the process alive until the deadline.
  return Promise.race([closed, deadline, impatient]).finally(() => clearTimeout(timer));
}
