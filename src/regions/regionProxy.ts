import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DocumentRoute } from '../routing/index.js';
import { hopLifetimeMs, signHop } from './hopSignature.js';
import type { RegionDirectory } from './regionDirectory.js';
import { forwardUpgrade, type ForwardOutcome, type PipedBytes } from './upgradeForwarder.js';

export interface RegionProxyOptions {
  directory: RegionDirectory;
  /** `--cluster-secret`: signs each hop. */
  secret: string;
  /** How long the owner has to answer the forwarded upgrade. */
  answerTimeoutMs: number;
  now?: () => number;
}

export interface ProxyRequest {
  request: IncomingMessage;
  client: Duplex;
  head: Buffer;
  route: DocumentRoute;
  /** Skip the directory's cached node list (the retry after a target that failed). */
  fresh: boolean;
}

export type ProxyOutcome = (ForwardOutcome | { kind: 'no-live-node' }) & { nodeId?: string };

/** The edge half of a cross-region connect: a live node of the pinned region, a signed hop, the raw pipe. */
export class RegionProxy {
  /** The piped sockets' cutters, so a shutdown leaves none open (ws does not know these sockets). */
  private readonly piped = new Set<() => void>();
  /** Byte counters of the sockets piped now; those of closed ones are summed into `closedBytes`. */
  private readonly live = new Set<() => PipedBytes>();
  private readonly closedBytes: PipedBytes = { toOwner: 0, toClient: 0 };

  constructor(private readonly options: RegionProxyOptions) {}

  /** Sockets proxied from here right now. */
  get pipedCount(): number {
    return this.piped.size;
  }

  /**
   * Cuts every proxied socket (shutdown). No close frame can be put in the raw stream (it may be
   * mid-frame), so the client sees an abrupt close and reconnects, as after a lost network.
   */
  /** Bytes proxied from here in each direction, closed sockets and open ones (read when metrics are scraped). */
  bytesProxied(): PipedBytes {
    const total = { ...this.closedBytes };
    for (const bytes of this.live) {
      const { toOwner, toClient } = bytes();
      total.toOwner += toOwner;
      total.toClient += toClient;
    }
    return total;
  }

  cutAll(): void {
    for (const cut of this.piped) cut();
    this.piped.clear();
  }

  async forward({ request, client, head, route, fresh }: ProxyRequest): Promise<ProxyOutcome> {
    const node = await this.options.directory.liveNodeOf(route.region, fresh);
    if (node === null) return { kind: 'no-live-node' };
    const now = (this.options.now ?? Date.now)();
    const hop = signHop({ docKey: route.docKey, epoch: route.epoch, expiresAt: now + hopLifetimeMs }, this.options.secret);
    const outcome = await forwardUpgrade({ targetUrl: node.url, request, client, head, hop, timeoutMs: this.options.answerTimeoutMs });
    if (outcome.kind === 'piped') {
      this.piped.add(outcome.cut);
      this.live.add(outcome.bytes);
      void outcome.closed.then(() => {
        this.piped.delete(outcome.cut);
        this.live.delete(outcome.bytes);
        const { toOwner, toClient } = outcome.bytes();
        this.closedBytes.toOwner += toOwner;
        this.closedBytes.toClient += toClient;
      });
    }
    return { ...outcome, nodeId: node.nodeId };
  }
}
