import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DocumentRoute } from '../routing/index.js';
import { hopLifetimeMs, signHop } from './hopSignature.js';
import type { RegionDirectory } from './regionDirectory.js';
import { forwardUpgrade, type ForwardOutcome } from './upgradeForwarder.js';

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
  constructor(private readonly options: RegionProxyOptions) {}

  async forward({ request, client, head, route, fresh }: ProxyRequest): Promise<ProxyOutcome> {
    const node = await this.options.directory.liveNodeOf(route.region, fresh);
    if (node === null) return { kind: 'no-live-node' };
    const now = (this.options.now ?? Date.now)();
    const hop = signHop({ docKey: route.docKey, epoch: route.epoch, expiresAt: now + hopLifetimeMs }, this.options.secret);
    const outcome = await forwardUpgrade({ targetUrl: node.url, request, client, head, hop, timeoutMs: this.options.answerTimeoutMs });
    return { ...outcome, nodeId: node.nodeId };
  }
}
