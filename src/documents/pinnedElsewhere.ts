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

/**
 * The epoch of a residency hop (issue 15, point 6): the document is not pinned (or its region is
 * gone), the edge's region may not hold it, and the target, a live node of an allowed region,
 * may claim it. No claim has epoch 0 (they count from 1), so it is never mistaken for one.
 */
export const claimHopEpoch = 0;

/** Where a residency hop goes: a live node of the first allowed region that has one. */
export function claimTarget(docKey: string, tenantId: string, region: string): DocumentRoute {
  return { docKey, tenantId, region, nodeId: '', pinnedAt: 0, epoch: claimHopEpoch };
}

/**
 * Where a residency hop goes (documents and boards alike): the first allowed region, in the
 * tenant's order, that has a live node; none: RESIDENCY_UNAVAILABLE (1013, retried by the client).
 */
export async function residencyTarget(
  docKey: string,
  tenantId: string,
  allowedRegions: readonly string[],
  regionHasLiveNode: (region: string) => Promise<boolean>,
): Promise<DocumentRoute> {
  for (const allowed of allowedRegions) {
    if (await regionHasLiveNode(allowed)) return claimTarget(docKey, tenantId, allowed);
  }
  throw new WiresocketError('RESIDENCY_UNAVAILABLE', `regions ${allowedRegions.join(',')}`);
}
