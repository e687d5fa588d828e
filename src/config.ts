import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { LogLevel } from './log.js';
import { redisSyncDefaults } from './sync/index.js';

/**
 * One validated configuration: flags override WIRESOCKET_* environment variables, which
 * override the defaults below. This is the only module that reads `process.env`.
 */
export interface ServeConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Routing/control store: libSQL `file:` URL (default: in the data dir), a libSQL/Turso URL, or PostgreSQL (`postgres://`). */
  dbUrl: string;
  dbAuthToken: string | undefined;
  /** Board storage: libSQL (`file:`, Turso) or PostgreSQL (`postgres://`); default: the control store's database. */
  storageUrl: string;
  storageAuthToken: string | undefined;
  region: string;
  /** Selects the Redis sync layer (cluster shape); unset means in-process memory (embedded). */
  redisUrl: string | undefined;
  /** Unique per running node; default derived from the host name and the listening port. */
  nodeId: string | undefined;
  /**
   * How other nodes (and the route lookup's answers) reach this node, kept in its `nodes` row;
   * default `ws://<host>:<port>` (a node behind NAT or TLS termination must set it).
   */
  advertiseUrl: string | undefined;
  /**
   * Signs node-to-node hops (HMAC-SHA256). Without it this node neither proxies a connect to
   * another region nor accepts a proxied one: a hop anyone could forge would bypass the pin.
   */
  clusterSecret: string | undefined;
  /** Grace after the last client leaves a document before its session ends (spec: 10 s). */
  graceMs: number;
  /** Largest WebSocket message accepted; larger closes with 1009 (stops memory exhaustion). */
  maxMessageBytes: number;
  /**
   * A document's updates arriving within this window go out merged, one frame per receiver
   * (0: one frame per update). The window bounds the delay the merge adds.
   */
  coalesceMs: number;
  /**
   * The longest a busy document's window grows to: the window follows the document's delivery
   * rate from `coalesceMs` up to this (fewer, larger frames for a crowd; see adaptiveWindow.ts).
   */
  coalesceMaxMs: number;
  /** Time a client has to complete the upgrade and send its first message (stops idle slot hogging). */
  handshakeTimeoutMs: number;
  /** How often this node writes its heartbeat row. */
  heartbeatIntervalMs: number;
  /**
   * A node whose heartbeat is older than this is taken for dead: the others reap its
   * connection rows (so its documents still end) and drop its clients' awareness states.
   */
  nodeTimeoutMs: number;
  /** Redis only: safety TTL of a document's keys, so a crashed cluster's leftovers expire. */
  redisKeyTtlSeconds: number;
  /** Redis only: first part of every key and channel (lets deployments share one Redis). */
  redisKeyPrefix: string;
  /** Redis only: merge a document's update log into its compacted state after this many updates... */
  redisCompactEveryUpdates: number;
  /** ... or once those updates hold this many bytes (bounds Redis memory per document). */
  redisCompactEveryBytes: number;
  /** Idle time before an ephemeral board session is archived (spec: 5 min). */
  boardEphemeralIdleMs: number;
  /** Idle time before a persistent board session is archived and snapshotted (spec: 15 min). */
  boardPersistentIdleMs: number;
  /** How often idle board sessions are checked (spec: 60 s). */
  boardSweepIntervalMs: number;
  /** How often pending board mutations are written to the elements table (also at 500 pending). */
  boardFlushIntervalMs: number;
  /** Participants per board on one node; beyond it a join is refused with 1013 (stops room flooding). */
  boardMaxParticipants: number;
  /** Mutation batches one board socket may send per second (stops a client from starving a board). */
  boardMaxBatchesPerSecond: number;
  /** Upper bound for a graceful shutdown before sockets are cut. */
  shutdownTimeoutMs: number;
  /** Messages per second one document socket may send on average (stops a client from starving its document). */
  maxMessagesPerSecond: number;
  /** Messages a document socket may send at once above that rate; beyond it the socket is closed with 4429. */
  messageBurst: number;
  /** Awareness messages per second relayed for one socket; the excess is coalesced (cursor spam fans out N-fold). */
  maxAwarenessPerSecond: number;
  /** Largest awareness state (JSON text) one client id may set (stops presence used as a data channel). */
  maxAwarenessStateBytes: number;
  /** Hocuspocus stateless messages one socket may send per second, with a burst of twice that; beyond it 4429 (each fans out N-fold, to every node). */
  maxStatelessPerSecond: number;
  /** Connections to one document on this node; beyond it a connect is closed with 1013 (stops room flooding). */
  maxConnectionsPerDocument: number;
  /** Documents one Hocuspocus socket may have open at once; beyond it PermissionDenied (one socket fanning out over many names). */
  maxDocumentsPerSocket: number;
  /** Messages a Hocuspocus socket may queue while its documents authenticate, and ... */
  maxPreauthMessages: number;
  /** ... their bytes; beyond either the socket is closed with 4205 (an unauthenticated client growing memory). */
  maxPreauthBytes: number;
  /** New WebSocket connections per client IP per minute, 0 = off; beyond it the upgrade gets HTTP 429 (connect storms). */
  maxConnectsPerIpPerMinute: number;
  /** Longest request target accepted at the upgrade (stops oversized URLs before any parsing). */
  maxUrlBytes: number;
  /** Outbound bytes a socket may have queued ... */
  maxBufferedBytes: number;
  /** ... for longer than this before it is closed with 1013 (a client that never reads cannot hold memory). */
  slowReaderTimeoutMs: number;
  /** Browser origins allowed to open sockets; empty = any (stops cross-site WebSocket hijacking when set). */
  allowedOrigins: readonly string[];
  /** How often every socket is pinged. */
  pingIntervalMs: number;
  /** A socket that has sent nothing (not even a pong) for this long is terminated (half-open TCP). */
  livenessTimeoutMs: number;
  /** How often this node looks for rotated app keys; their apps' sockets are then closed with 4401. */
  keyCheckIntervalMs: number;
  /** How often the node samples its own figures for the admin dashboard's charts (jittered, 75-100 %). */
  adminSampleIntervalMs: number;
  /** Webhooks: at most one `document.updated` per document (and `quota.reached` per app) per this. */
  webhookUpdateIntervalMs: number;
  /** Webhooks: a final state larger than this is left out of `document.ended` (`stateOmitted: true`). */
  webhookMaxStateBytes: number;
  /** Webhooks may go to loopback, private, link-local and metadata addresses (off: SSRF). */
  allowPrivateWebhooks: boolean;
  /** Where documents are archived (`postgres://`, `file:` libSQL, `s3://bucket/prefix`); unset: nothing is kept (the spec's default). */
  archiveUrl: string | undefined;
  /** S3 only: an S3-compatible endpoint (MinIO, R2), used path-style. */
  archiveS3Endpoint: string | undefined;
  /** A live document that changed is checkpointed to the archive at most this long after (what a crash of every node can lose). */
  archiveIntervalMs: number;
  /**
   * Serve the demo page at `/` and its token at `/v1/dev/token` (`--demo on|off`). Default: on
   * exactly when the host is loopback and neither `--redis-url` nor `--db-url` is set (a
   * developer's embedded server); the routes also need a loopback host and the `dev/demo` app.
   */
  demo: boolean;
  logLevel: LogLevel;
}

export type Environment = Readonly<Record<string, string | undefined>>;
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

interface Setting<T> {
  flag: string;
  env: string;
  accepts: string;
  schema: z.ZodType<T>;
  /** A flag without a value (`--allow-private-webhooks`); its variable takes true/false/1/0. */
  isSwitch?: true;
}

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const text = z.string().trim().min(1);
/** A comma-separated list of origins (`https://app.example.com`); each must be an origin, not a URL with a path. */
const originList = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
  .refine((origins) => origins.every((origin) => /^https?:\/\/[^/\s]+$/.test(origin)), 'each entry must be an origin like https://app.example.com');
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every setting of `serve`: its flag, its environment variable, and what it accepts. */
const settings = {
  port: { flag: 'port', env: 'WIRESOCKET_PORT', accepts: 'an integer from 0 to 65535', schema: integer(0, 65535) },
  host: { flag: 'host', env: 'WIRESOCKET_HOST', accepts: 'a host name or IP address', schema: text },
  dataDir: { flag: 'data-dir', env: 'WIRESOCKET_DATA_DIR', accepts: 'a directory path', schema: text },
  dbUrl: { flag: 'db-url', env: 'WIRESOCKET_DB_URL', accepts: 'a libSQL URL (file:, libsql:, http(s):, ws(s):) or postgres:// / postgresql://', schema: z.string().regex(/^(file:|libsql:|https?:|wss?:|:memory:|postgres(ql)?:\/\/)/) },
  dbAuthToken: { flag: 'db-auth-token', env: 'WIRESOCKET_DB_AUTH_TOKEN', accepts: 'a token string', schema: text },
  storageUrl: { flag: 'storage-url', env: 'WIRESOCKET_STORAGE_URL', accepts: 'a libSQL URL (file:, libsql:, http(s):, ws(s):) or postgres://', schema: z.string().regex(/^(file:|libsql:|https?:|wss?:|:memory:|postgres(ql)?:\/\/)/) },
  storageAuthToken: { flag: 'storage-auth-token', env: 'WIRESOCKET_STORAGE_AUTH_TOKEN', accepts: 'a token string', schema: text },
  boardEphemeralIdleMs: { flag: 'board-ephemeral-idle-ms', env: 'WIRESOCKET_BOARD_EPHEMERAL_IDLE_MS', accepts: 'an integer number of milliseconds from 1000 to 86400000', schema: integer(1000, 86_400_000) },
  boardPersistentIdleMs: { flag: 'board-persistent-idle-ms', env: 'WIRESOCKET_BOARD_PERSISTENT_IDLE_MS', accepts: 'an integer number of milliseconds from 1000 to 86400000', schema: integer(1000, 86_400_000) },
  boardSweepIntervalMs: { flag: 'board-sweep-interval-ms', env: 'WIRESOCKET_BOARD_SWEEP_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 3600000', schema: integer(100, 3_600_000) },
  boardFlushIntervalMs: { flag: 'board-flush-interval-ms', env: 'WIRESOCKET_BOARD_FLUSH_INTERVAL_MS', accepts: 'an integer number of milliseconds from 10 to 600000', schema: integer(10, 600_000) },
  boardMaxParticipants: { flag: 'board-max-participants', env: 'WIRESOCKET_BOARD_MAX_PARTICIPANTS', accepts: 'an integer from 1 to 100000', schema: integer(1, 100_000) },
  boardMaxBatchesPerSecond: { flag: 'board-max-batches-per-second', env: 'WIRESOCKET_BOARD_MAX_BATCHES_PER_SECOND', accepts: 'an integer from 1 to 100000', schema: integer(1, 100_000) },
  redisUrl: { flag: 'redis-url', env: 'WIRESOCKET_REDIS_URL', accepts: 'redis://, rediss:// or redis+cluster://host:port,host:port', schema: z.string().regex(/^rediss?(\+cluster)?:\/\/\S+$/) },
  region: { flag: 'region', env: 'WIRESOCKET_REGION', accepts: '1-64 characters of A-Z a-z 0-9 _ - .', schema: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) },
  advertiseUrl: { flag: 'advertise-url', env: 'WIRESOCKET_ADVERTISE_URL', accepts: 'a ws:// or wss:// URL with a host (and no path), e.g. ws://10.0.0.5:1234', schema: z.string().regex(/^wss?:\/\/[^/\s?#]+\/?$/).transform((url) => url.replace(/\/$/, '')) },
  clusterSecret: { flag: 'cluster-secret', env: 'WIRESOCKET_CLUSTER_SECRET', accepts: 'at least 32 characters (the same on every node), e.g. from `openssl rand -hex 32`', schema: z.string().min(32) },
  nodeId: { flag: 'node-id', env: 'WIRESOCKET_NODE_ID', accepts: '1-128 characters of A-Z a-z 0-9 _ - . :', schema: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/) },
  graceMs: { flag: 'grace-ms', env: 'WIRESOCKET_GRACE_MS', accepts: 'an integer number of milliseconds from 0 to 86400000', schema: integer(0, 86_400_000) },
  maxMessageBytes: { flag: 'max-message-bytes', env: 'WIRESOCKET_MAX_MESSAGE_BYTES', accepts: 'an integer from 1024 to 1073741824', schema: integer(1024, 1 << 30) },
  coalesceMs: { flag: 'coalesce-ms', env: 'WIRESOCKET_COALESCE_MS', accepts: 'an integer number of milliseconds from 0 to 1000', schema: integer(0, 1000) },
  coalesceMaxMs: { flag: 'coalesce-max-ms', env: 'WIRESOCKET_COALESCE_MAX_MS', accepts: 'an integer number of milliseconds from 0 to 1000, at least --coalesce-ms', schema: integer(0, 1000) },
  handshakeTimeoutMs: { flag: 'handshake-timeout-ms', env: 'WIRESOCKET_HANDSHAKE_TIMEOUT_MS', accepts: 'an integer number of milliseconds from 100 to 600000', schema: integer(100, 600_000) },
  heartbeatIntervalMs: { flag: 'heartbeat-interval-ms', env: 'WIRESOCKET_HEARTBEAT_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 600000', schema: integer(100, 600_000) },
  nodeTimeoutMs: { flag: 'node-timeout-ms', env: 'WIRESOCKET_NODE_TIMEOUT_MS', accepts: 'an integer number of milliseconds from 300 to 3600000, at least twice --heartbeat-interval-ms', schema: integer(300, 3_600_000) },
  redisKeyTtlSeconds: { flag: 'redis-key-ttl-seconds', env: 'WIRESOCKET_REDIS_KEY_TTL_SECONDS', accepts: 'an integer number of seconds from 60 to 31536000', schema: integer(60, 31_536_000) },
  redisKeyPrefix: { flag: 'redis-key-prefix', env: 'WIRESOCKET_REDIS_KEY_PREFIX', accepts: '1-64 printable ASCII characters without spaces, "{" or "}"', schema: z.string().regex(/^[\x21-\x7a\x7c\x7e]{1,64}$/) },
  redisCompactEveryUpdates: { flag: 'redis-compact-every-updates', env: 'WIRESOCKET_REDIS_COMPACT_EVERY_UPDATES', accepts: 'an integer from 2 to 1000000', schema: integer(2, 1_000_000) },
  redisCompactEveryBytes: { flag: 'redis-compact-every-bytes', env: 'WIRESOCKET_REDIS_COMPACT_EVERY_BYTES', accepts: 'an integer number of bytes from 1024 to 1073741824', schema: integer(1024, 1 << 30) },
  shutdownTimeoutMs: { flag: 'shutdown-timeout-ms', env: 'WIRESOCKET_SHUTDOWN_TIMEOUT_MS', accepts: 'an integer number of milliseconds from 100 to 60000', schema: integer(100, 60_000) },
  maxMessagesPerSecond: { flag: 'max-messages-per-second', env: 'WIRESOCKET_MAX_MESSAGES_PER_SECOND', accepts: 'an integer from 1 to 10000000', schema: integer(1, 10_000_000) },
  messageBurst: { flag: 'message-burst', env: 'WIRESOCKET_MESSAGE_BURST', accepts: 'an integer from 1 to 10000000', schema: integer(1, 10_000_000) },
  maxAwarenessPerSecond: { flag: 'max-awareness-per-second', env: 'WIRESOCKET_MAX_AWARENESS_PER_SECOND', accepts: 'an integer from 1 to 10000000', schema: integer(1, 10_000_000) },
  maxStatelessPerSecond: { flag: 'max-stateless-per-second', env: 'WIRESOCKET_MAX_STATELESS_PER_SECOND', accepts: 'an integer from 1 to 10000000', schema: integer(1, 10_000_000) },
  maxAwarenessStateBytes: { flag: 'max-awareness-state-bytes', env: 'WIRESOCKET_MAX_AWARENESS_STATE_BYTES', accepts: 'an integer number of bytes from 64 to 1048576', schema: integer(64, 1 << 20) },
  maxConnectionsPerDocument: { flag: 'max-connections-per-document', env: 'WIRESOCKET_MAX_CONNECTIONS_PER_DOCUMENT', accepts: 'an integer from 1 to 1000000', schema: integer(1, 1_000_000) },
  maxDocumentsPerSocket: { flag: 'max-documents-per-socket', env: 'WIRESOCKET_MAX_DOCUMENTS_PER_SOCKET', accepts: 'an integer from 1 to 100000', schema: integer(1, 100_000) },
  maxPreauthMessages: { flag: 'max-preauth-messages', env: 'WIRESOCKET_MAX_PREAUTH_MESSAGES', accepts: 'an integer from 1 to 1000000', schema: integer(1, 1_000_000) },
  maxPreauthBytes: { flag: 'max-preauth-bytes', env: 'WIRESOCKET_MAX_PREAUTH_BYTES', accepts: 'an integer number of bytes from 1024 to 1073741824', schema: integer(1024, 1 << 30) },
  maxConnectsPerIpPerMinute: { flag: 'max-connects-per-ip-per-minute', env: 'WIRESOCKET_MAX_CONNECTS_PER_IP_PER_MINUTE', accepts: 'an integer from 0 (off) to 10000000', schema: integer(0, 10_000_000) },
  maxUrlBytes: { flag: 'max-url-bytes', env: 'WIRESOCKET_MAX_URL_BYTES', accepts: 'an integer number of bytes from 256 to 65536', schema: integer(256, 65_536) },
  maxBufferedBytes: { flag: 'max-buffered-bytes', env: 'WIRESOCKET_MAX_BUFFERED_BYTES', accepts: 'an integer number of bytes from 65536 to 1073741824', schema: integer(65_536, 1 << 30) },
  slowReaderTimeoutMs: { flag: 'slow-reader-timeout-ms', env: 'WIRESOCKET_SLOW_READER_TIMEOUT_MS', accepts: 'an integer number of milliseconds from 100 to 600000', schema: integer(100, 600_000) },
  allowedOrigins: { flag: 'allowed-origins', env: 'WIRESOCKET_ALLOWED_ORIGINS', accepts: 'a comma-separated list of origins like https://app.example.com', schema: originList },
  pingIntervalMs: { flag: 'ping-interval-ms', env: 'WIRESOCKET_PING_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 600000', schema: integer(100, 600_000) },
  livenessTimeoutMs: { flag: 'liveness-timeout-ms', env: 'WIRESOCKET_LIVENESS_TIMEOUT_MS', accepts: 'an integer number of milliseconds from 300 to 3600000, more than --ping-interval-ms', schema: integer(300, 3_600_000) },
  keyCheckIntervalMs: { flag: 'key-check-interval-ms', env: 'WIRESOCKET_KEY_CHECK_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 60000', schema: integer(100, 60_000) },
  adminSampleIntervalMs: { flag: 'admin-sample-interval-ms', env: 'WIRESOCKET_ADMIN_SAMPLE_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 60000', schema: integer(100, 60_000) },
  webhookUpdateIntervalMs: { flag: 'webhook-update-interval-ms', env: 'WIRESOCKET_WEBHOOK_UPDATE_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 86400000', schema: integer(100, 86_400_000) },
  webhookMaxStateBytes: { flag: 'webhook-max-state-bytes', env: 'WIRESOCKET_WEBHOOK_MAX_STATE_BYTES', accepts: 'an integer number of bytes from 0 to 67108864', schema: integer(0, 64 << 20) },
  allowPrivateWebhooks: { flag: 'allow-private-webhooks', env: 'WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS', accepts: 'true, false, 1 or 0', schema: z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'), isSwitch: true },
  archiveUrl: { flag: 'archive-url', env: 'WIRESOCKET_ARCHIVE_URL', accepts: 'postgres://..., file:<path> (a libSQL file) or s3://bucket/prefix', schema: z.string().regex(/^(postgres(ql)?:\/\/\S+|file:\S+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?)$/) },
  archiveS3Endpoint: { flag: 'archive-s3-endpoint', env: 'WIRESOCKET_ARCHIVE_S3_ENDPOINT', accepts: 'an http:// or https:// URL, e.g. http://127.0.0.1:9000', schema: z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/) },
  archiveIntervalMs: { flag: 'archive-interval-ms', env: 'WIRESOCKET_ARCHIVE_INTERVAL_MS', accepts: 'an integer number of milliseconds from 100 to 86400000', schema: integer(100, 86_400_000) },
  demo: { flag: 'demo', env: 'WIRESOCKET_DEMO', accepts: 'on or off', schema: z.enum(['on', 'off']).transform((value) => value === 'on') },
  logLevel: { flag: 'log-level', env: 'WIRESOCKET_LOG_LEVEL', accepts: logLevels.join(', '), schema: z.enum(logLevels) },
} satisfies { [K in keyof ServeConfig]: Setting<NonNullable<ServeConfig[K]>> };

export const serveDefaults = {
  port: 1234,
  host: '127.0.0.1',
  dataDir: './.wiresocket',
  region: 'local',
  graceMs: 10_000,
  maxMessageBytes: 16 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  coalesceMs: 10,
  coalesceMaxMs: 25,
  heartbeatIntervalMs: 5_000,
  boardEphemeralIdleMs: 5 * 60_000,
  boardPersistentIdleMs: 15 * 60_000,
  boardSweepIntervalMs: 60_000,
  boardFlushIntervalMs: 1_000,
  boardMaxParticipants: 200,
  boardMaxBatchesPerSecond: 50,
  nodeTimeoutMs: 15_000,
  redisKeyTtlSeconds: redisSyncDefaults.keyTtlSeconds,
  redisKeyPrefix: redisSyncDefaults.keyPrefix,
  redisCompactEveryUpdates: redisSyncDefaults.compactEveryUpdates,
  redisCompactEveryBytes: redisSyncDefaults.compactEveryBytes,
  shutdownTimeoutMs: 8_000,
  maxMessagesPerSecond: 200,
  messageBurst: 400,
  maxAwarenessPerSecond: 20,
  maxAwarenessStateBytes: 8 * 1024,
  maxStatelessPerSecond: 20,
  maxConnectionsPerDocument: 500,
  // Hocuspocus's own defaults (maxPendingDocuments, maxUnauthenticatedQueueMessages and -Size).
  maxDocumentsPerSocket: 100,
  maxPreauthMessages: 1_000,
  maxPreauthBytes: 5 * 1024 * 1024,
  maxConnectsPerIpPerMinute: 600,
  maxUrlBytes: 8 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  slowReaderTimeoutMs: 10_000,
  allowedOrigins: [],
  pingIntervalMs: 15_000,
  livenessTimeoutMs: 45_000,
  keyCheckIntervalMs: 1_000,
  adminSampleIntervalMs: 2_000,
  webhookUpdateIntervalMs: 5_000,
  webhookMaxStateBytes: 4 * 1024 * 1024,
  allowPrivateWebhooks: false,
  archiveIntervalMs: 30_000,
  logLevel: 'info',
} as const satisfies Partial<ServeConfig>;

/** The flags `serve` understands (for the CLI parser). */
export const serveFlagNames: readonly string[] = Object.values(settings).map((setting) => setting.flag);

/** The flags of `serve` that take no value. */
export const serveSwitchNames: readonly string[] = Object.values(settings).flatMap((setting: Setting<unknown>) => (setting.isSwitch ? [setting.flag] : []));

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Builds the serve configuration or throws a ConfigError that names the setting. */
export function loadServeConfig(flags: Flags = {}, env: Environment = process.env): ServeConfig {
  const read = <K extends keyof typeof settings>(key: K) => readSetting(settings[key] as Setting<unknown>, flags, env);
  const pick = <K extends keyof typeof settings>(key: K): ServeConfig[K] =>
    (read(key) ?? (serveDefaults as Partial<ServeConfig>)[key]) as ServeConfig[K];
  const dataDir = path.resolve(pick('dataDir'));
  const dbUrl = pick('dbUrl') ?? defaultDbUrl(dataDir);
  checkDbAuthToken(dbUrl, pick('dbAuthToken'));
  const heartbeatIntervalMs = pick('heartbeatIntervalMs');
  const nodeTimeoutMs = pick('nodeTimeoutMs');
  // One late beat must not get a live node reaped.
  if (nodeTimeoutMs < 2 * heartbeatIntervalMs) {
    throw new ConfigError(`--node-timeout-ms (${nodeTimeoutMs}) must be at least twice --heartbeat-interval-ms (${heartbeatIntervalMs})`);
  }
  const pingIntervalMs = pick('pingIntervalMs');
  const livenessTimeoutMs = pick('livenessTimeoutMs');
  // A healthy client answers every ping; the timeout must leave room for at least one.
  if (livenessTimeoutMs <= pingIntervalMs) {
    throw new ConfigError(`--liveness-timeout-ms (${livenessTimeoutMs}) must be more than --ping-interval-ms (${pingIntervalMs})`);
  }
  const coalesceMs = pick('coalesceMs');
  const archiveUrl = pick('archiveUrl');
  const archiveS3Endpoint = pick('archiveS3Endpoint');
  if (archiveS3Endpoint !== undefined && !archiveUrl?.startsWith('s3://')) {
    throw new ConfigError('--archive-s3-endpoint (WIRESOCKET_ARCHIVE_S3_ENDPOINT) is for an s3:// --archive-url');
  }
  return {
    port: pick('port'),
    host: pick('host'),
    dataDir,
    dbUrl,
    dbAuthToken: pick('dbAuthToken'),
    // The embedded shape keeps boards in the control store's file (DESIGN.md "Deployment shapes").
    storageUrl: pick('storageUrl') ?? dbUrl,
    storageAuthToken: pick('storageAuthToken') ?? (pick('storageUrl') === undefined ? pick('dbAuthToken') : undefined),
    region: pick('region'),
    redisUrl: pick('redisUrl'),
    nodeId: pick('nodeId'),
    advertiseUrl: pick('advertiseUrl'),
    clusterSecret: pick('clusterSecret'),
    graceMs: pick('graceMs'),
    maxMessageBytes: pick('maxMessageBytes'),
    handshakeTimeoutMs: pick('handshakeTimeoutMs'),
    coalesceMs,
    coalesceMaxMs: coalescingCeiling(read('coalesceMaxMs') as number | undefined, coalesceMs),
    heartbeatIntervalMs,
    nodeTimeoutMs,
    redisKeyTtlSeconds: pick('redisKeyTtlSeconds'),
    redisKeyPrefix: pick('redisKeyPrefix'),
    redisCompactEveryUpdates: pick('redisCompactEveryUpdates'),
    redisCompactEveryBytes: pick('redisCompactEveryBytes'),
    boardEphemeralIdleMs: pick('boardEphemeralIdleMs'),
    boardPersistentIdleMs: pick('boardPersistentIdleMs'),
    boardSweepIntervalMs: pick('boardSweepIntervalMs'),
    boardFlushIntervalMs: pick('boardFlushIntervalMs'),
    boardMaxParticipants: pick('boardMaxParticipants'),
    boardMaxBatchesPerSecond: pick('boardMaxBatchesPerSecond'),
    shutdownTimeoutMs: pick('shutdownTimeoutMs'),
    maxMessagesPerSecond: pick('maxMessagesPerSecond'),
    messageBurst: pick('messageBurst'),
    maxAwarenessPerSecond: pick('maxAwarenessPerSecond'),
    maxAwarenessStateBytes: pick('maxAwarenessStateBytes'),
    maxStatelessPerSecond: pick('maxStatelessPerSecond'),
    maxConnectionsPerDocument: pick('maxConnectionsPerDocument'),
    maxDocumentsPerSocket: pick('maxDocumentsPerSocket'),
    maxPreauthMessages: pick('maxPreauthMessages'),
    maxPreauthBytes: pick('maxPreauthBytes'),
    maxConnectsPerIpPerMinute: pick('maxConnectsPerIpPerMinute'),
    maxUrlBytes: pick('maxUrlBytes'),
    maxBufferedBytes: pick('maxBufferedBytes'),
    slowReaderTimeoutMs: pick('slowReaderTimeoutMs'),
    allowedOrigins: pick('allowedOrigins'),
    pingIntervalMs,
    livenessTimeoutMs,
    keyCheckIntervalMs: pick('keyCheckIntervalMs'),
    adminSampleIntervalMs: pick('adminSampleIntervalMs'),
    webhookUpdateIntervalMs: pick('webhookUpdateIntervalMs'),
    webhookMaxStateBytes: pick('webhookMaxStateBytes'),
    allowPrivateWebhooks: pick('allowPrivateWebhooks'),
    archiveUrl,
    archiveS3Endpoint,
    archiveIntervalMs: pick('archiveIntervalMs'),
    demo: (read('demo') as boolean | undefined) ?? demoByDefault(pick('host'), pick('redisUrl'), read('dbUrl') as string | undefined),
    logLevel: pick('logLevel'),
  };
}

/** `--demo`'s default: a developer's embedded server on this machine, not a deployment (DESIGN.md "Endpoints"). */
function demoByDefault(host: string, redisUrl: string | undefined, explicitDbUrl: string | undefined): boolean {
  return isLoopbackHost(host) && redisUrl === undefined && explicitDbUrl === undefined;
}

/** A listen address only this machine can reach: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * The window's ceiling: an explicit `--coalesce-max-ms` below the floor is an error; the default
 * ceiling gives way to a larger explicit floor (`--coalesce-ms 50` alone means a fixed 50 ms).
 */
function coalescingCeiling(explicitMaxMs: number | undefined, floorMs: number): number {
  if (explicitMaxMs === undefined) return Math.max(floorMs, serveDefaults.coalesceMaxMs);
  if (explicitMaxMs < floorMs) throw new ConfigError(`--coalesce-max-ms (${explicitMaxMs}) must be at least --coalesce-ms (${floorMs})`);
  return explicitMaxMs;
}

/** Store settings shared by every CLI command: `--data-dir`, `--db-url` and their variables. */
export interface StoreConfig {
  dbUrl: string;
  dbAuthToken: string | undefined;
}

export function loadStoreConfig(flags: Flags = {}, env: Environment = process.env): StoreConfig {
  const dataDir = path.resolve((readSetting(settings.dataDir, flags, env) as string | undefined) ?? serveDefaults.dataDir);
  const dbUrl = (readSetting(settings.dbUrl, flags, env) as string | undefined) ?? defaultDbUrl(dataDir);
  const dbAuthToken = readSetting(settings.dbAuthToken, flags, env) as string | undefined;
  checkDbAuthToken(dbUrl, dbAuthToken);
  return { dbUrl, dbAuthToken };
}

/** `--allow-private-webhooks` / WIRESOCKET_ALLOW_PRIVATE_WEBHOOKS for the commands besides `serve` (`webhooks add`). */
export function loadAllowPrivateWebhooks(flags: Flags = {}, env: Environment = process.env): boolean {
  return (readSetting(settings.allowPrivateWebhooks, flags, env) as boolean | undefined) ?? serveDefaults.allowPrivateWebhooks;
}

/** A PostgreSQL URL carries its own credentials; a token beside it would be silently ignored. */
function checkDbAuthToken(dbUrl: string, dbAuthToken: string | undefined): void {
  if (dbAuthToken !== undefined && /^postgres(ql)?:/i.test(dbUrl)) {
    throw new ConfigError('--db-auth-token (WIRESOCKET_DB_AUTH_TOKEN) is for libSQL/Turso; with a postgres:// --db-url put the credentials in the URL');
  }
}

export function defaultNodeId(port: number): string {
  return `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}:${port}`;
}

function defaultDbUrl(dataDir: string): string {
  return `file:${path.join(dataDir, 'wiresocket.db')}`;
}

/** The flag's value, else the variable's, else undefined; invalid values name both. */
function readSetting<T>(setting: Setting<T>, flags: Flags, env: Environment): T | undefined {
  const flagValue = flags[setting.flag];
  const fromFlag = flagValue !== undefined;
  const raw = fromFlag ? flagValue : env[setting.env];
  if (raw === undefined || raw === '') {
    if (fromFlag) throw new ConfigError(`--${setting.flag} needs a value: ${setting.accepts}`);
    return undefined;
  }
  if (typeof raw === 'boolean') {
    if (setting.isSwitch) return raw as T;
    throw new ConfigError(`--${setting.flag} needs a value: ${setting.accepts}`);
  }
  const parsed = setting.schema.safeParse(raw);
  if (!parsed.success) {
    const source = fromFlag ? `--${setting.flag}` : `${setting.env} (environment)`;
    throw new ConfigError(`${source} must be ${setting.accepts}; got ${JSON.stringify(raw)}`);
  }
  return parsed.data;
}
