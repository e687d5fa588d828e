import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The line the benchmark waits for (bench/peers/peerProcess.ts): the peer listens and at which URL. */
export function announceListening(server: Server): void {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`peer listening ws://${address}:${port}\n`);
}

/** The benchmark stops peers with SIGTERM; a peer must not linger behind open sockets. */
export function exitOnSigterm(): void {
  process.once('SIGTERM', () => process.exit(0));
}
