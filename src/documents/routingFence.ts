import type { DocumentRoute } from '../routing/index.js';

/** A document whose session a routing-store outage closed on this node. */
export interface SuspendedDocument {
  tenantId: string;
  /** The epoch of the claim the session served under. */
  epoch: number;
}

export type FenceVerdict =
  /** This region's (at any epoch: its nodes share the Redis copy), or nobody's: the copy stays, it may hold the only recent edits. */
  | { kind: 'keep' }
  /** Another region claimed it at a newer epoch while this node could not see it: this region's copy is never served again. */
  | { kind: 'fence'; owner: { region: string; epoch: number } };

/**
 * What a node that lost the routing store does with a document it served, once it sees the
 * route again (issue 15, point 4). The epoch is the fencing token: a claim by another region has
 * a higher one, and this region's copy, which that claim did not see, must go. A newer claim in
 * this region (another node of it purged and re-pinned the document) serves the same Redis copy.
 */
export function fenceVerdict(document: SuspendedDocument, route: DocumentRoute | null, region: string): FenceVerdict {
  if (route === null || route.region === region || route.epoch <= document.epoch) return { kind: 'keep' };
  return { kind: 'fence', owner: { region: route.region, epoch: route.epoch } };
}
