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

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  const open = new Set<Connection>();
  const server = createServer((client) => pipeToTarget(client, target, open));
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
function pipeToTarget(client: Socket, targetPort: number, open: Set<Connection>): void {
  const connection = { client, upstream: connect(targetPort, loopback) };
  open.add(connection);
  for (const socket of [connection.client, connection.upstream]) {
    socket.setNoDelay(true);
    // An error (ECONNREFUSED to a killed node, ECONNRESET) only means "this pair is over".
    socket.on('error', () => undefined);
    socket.once('close', () => {
      open.delete(connection);
      destroyBoth(connection);
    });
  }
  connection.client.pipe(connection.upstream);
  connection.upstream.pipe(connection.client);
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
