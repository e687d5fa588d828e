import { WiresocketError } from '../errors.js';
import type { DocumentRoute } from '../routing/index.js';

/**
 * A first connect found its document pinned to another region (issue 15): this node must not
 * serve it, since two regions would hold two diverging copies. The upgrade proxies the socket to
 * the route's region; when it cannot, the catalog's answer (1013) lets the stock client retry.
 */
export class PinnedElsewhereError extends WiresocketError {
  constructor(readonly route: DocumentRoute) {
    super('DOCUMENT_PINNED_ELSEWHERE', `region ${route.region}`);
  }
}

/** What a proxied connect (a hop from another region's edge) claims: the epoch the edge routed by. */
export interface HopClaim {
  readonly epoch: number;
}
