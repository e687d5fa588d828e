import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * "The load balancer" of a cluster test: a loopback TCP proxy on an ephemeral port. Every new
 * connection is piped to the current target; switching the target moves only new connections,
 * as a balancer that has noticed a dead node would.
 */
export interface TcpProxy {
  port: number;
  /** `ws://127.0.0.1:<port>`: what stock clients dial. */
  url: string;
  /** The port new connections are sent to. */
  readonly targetPort: number;
  /** Connections open right now (client side). */
  readonly connectionCount: number;
  setTarget(port: number): void;
  /** Destroys every open connection (both sides); clients see an abrupt close and reconnect. */
  cutAll(): void;
  /** Stops listening and cuts every connection; idempotent. */
  close(): Promise<void>;
}

const loopback = '127.0.0.1';

export interface TcpProxyOptions {
  /** Each chunk (and each end) reaches the other side this much later, both ways: a link between regions. */
  delayMs?: number;
}

export async function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  let target = targetPort;
  const open = new Set<Connection>();
  const delayMs = options.delayMs ?? 0;
  const server = createServer((client) => pipeToTarget(client, target, open, delayMs));
  await listen(server);
  const port = portOf(server);
  let closing: Promise<void> | null = null;
  const cutAll = () => {
    for (const connection of open) destroyBoth(connection);
    open.clear();
  };
  return {
    port,
    url: `ws://${loopback}:${port}`,
    get targetPort() {
      return target;
    },
    get connectionCount() {
      return open.size;
    },
    setTarget: (next) => void (target = next),
    cutAll,
    close: () => (closing ??= closeServer(server, cutAll)),
  };
}

/**
 * One client connection and its upstream: whichever side ends or fails takes the other down,
 * so a dead node shows to the client as a closed socket (the stock client then reconnects).
 */
function pipeToTarget(client: Socket, targetPort: number, open: Set<Connection>, delayMs: number): void {
  const connection = { client, upstream: connect(targetPort, loopback) };
  open.add(connection);
  for (const socket of [connection.client, connection.upstream]) {
    socket.setNoDelay(true);
    // An error (ECONNREFUSED to a killed node, ECONNRESET) only means "this pair is over".
    socket.on('error', () => undefined);
    socket.once('close', () => {
      open.delete(connection);
      // What is still on its way (a close frame) arrives before the other side goes.
      if (delayMs > 0) setTimeout(() => destroyBoth(connection), delayMs + 20).unref();
      else destroyBoth(connection);
    });
  }
  if (delayMs > 0) {
    relayLater(connection.client, connection.upstream, delayMs);
    relayLater(connection.upstream, connection.client, delayMs);
    return;
  }
  connection.client.pipe(connection.upstream);
  connection.upstream.pipe(connection.client);
}

/** Timers of one delay fire in the order they were set, so the byte order holds. */
function relayLater(from: Socket, to: Socket, delayMs: number): void {
  from.on('data', (chunk: Buffer) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
  from.once('end', () => setTimeout(() => to.destroyed || to.end(), delayMs));
}

/** A client socket and the upstream socket it is piped to. */
interface Connection {
  client: Socket;
  upstream: Socket;
}

function destroyBoth({ client, upstream }: Connection): void {
  client.destroy();
  upstream.destroy();
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, loopback, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return address.port;
}

function closeServer(server: Server, cutAll: () => void): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    cutAll();
  });
}

/** The port of a `ws://host:port` URL (e.g. a ClusterNode's url, for setTarget). */
export function portOfUrl(url: string): number {
  const port = Number(new URL(url).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${url}`);
  return port;
}
