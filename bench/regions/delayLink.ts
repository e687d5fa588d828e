import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A link between two regions on loopback: a TCP proxy to one port whose delay (each chunk, each
 * way) can change between measurements, so the same nodes serve the loopback and the delayed run.
 */
export interface DelayLink {
  url: string;
  delayMs: number;
  close(): Promise<void>;
}

export async function startDelayLink(targetPort: number): Promise<DelayLink> {
  const open = new Set<Socket>();
  const link = { delayMs: 0 };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        open.delete(socket);
        setTimeout(() => (client.destroy(), upstream.destroy()), link.delayMs + 20).unref();
      });
    }
    relay(client, upstream, link);
    relay(upstream, client, link);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the link has no port');
  return {
    url: `ws://127.0.0.1:${address.port}`,
    get delayMs() {
      return link.delayMs;
    },
    set delayMs(value: number) {
      link.delayMs = value;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Timers of one delay fire in order, so bytes keep their order; no delay writes at once. */
function relay(from: Socket, to: Socket, link: { delayMs: number }): void {
  from.on('data', (chunk: Buffer) => {
    if (link.delayMs === 0) to.write(chunk);
    else setTimeout(() => to.destroyed || to.write(chunk), link.delayMs);
  });
  from.once('end', () => setTimeout(() => to.destroyed || to.end(), link.delayMs));
}
