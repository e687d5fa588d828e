import { WiresocketError } from '../errors.js';
import type { HopClaim } from '../documents/index.js';
import { verifyHop } from '../regions/index.js';

interface HopDependencies {
  clusterSecret: string | undefined;
  now: () => number;
}

/**
 * The owner half of a cross-region connect: a request carrying a hop header came from another
 * region's edge (or from someone forging one). It is served only with a valid signature over
 * this very document, within its expiry, and only under the epoch it names; without a cluster
 * secret no hop is accepted at all. No header: an ordinary connect.
 */
export function hopClaimOf(header: string | string[] | undefined, docKey: string, deps: HopDependencies): HopClaim | undefined {
  if (header === undefined) return undefined;
  if (deps.clusterSecret === undefined) throw new WiresocketError('HOP_INVALID', 'this node has no --cluster-secret');
  if (Array.isArray(header)) throw new WiresocketError('HOP_INVALID', 'more than one hop header');
  const check = verifyHop(header, docKey, deps.clusterSecret, deps.now());
  if (check.kind === 'invalid') throw new WiresocketError('HOP_INVALID', check.reason);
  return { epoch: check.epoch };
}
