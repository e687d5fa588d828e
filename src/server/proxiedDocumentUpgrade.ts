import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WiresocketError } from '../errors.js';
import type { ProxyOutcome } from '../regions/index.js';
import type { DocumentRoute } from '../routing/index.js';
import { completeUpgrade, type DocumentUpgradeDependencies, type Outcome } from './documentUpgrade.js';

/**
 * The edge half of a cross-region connect (issue 15, point 1). The client was authenticated and
 * its grant checked here; its socket goes raw to a live node of the pinned region. When that
 * node is not the owner any more (421), does not answer, or the region's node list was stale,
 * the edge asks the store again once (`admitAgain`: the document may now be this region's, or
 * pinned at a newer epoch) and tries once more; then the client gets 1013 and retries itself.
 */
export async function proxyToRegion(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  route: DocumentRoute,
  admitAgain: () => Promise<Outcome>,
  deps: DocumentUpgradeDependencies,
): Promise<void> {
  if (deps.regions === null) return refuse(request, socket, head, route, deps, 'this node has no --cluster-secret and cannot proxy');
  const first = await deps.regions.forward({ request, client: socket, head, route, fresh: false });
  if (settled(first, socket, route, deps)) return;
  if (first.kind === 'answered' && first.status !== 421) return refuse(request, socket, head, route, deps, `the owner answered ${first.status}`);
  deps.logger.info({ docKey: route.docKey, region: route.region, nodeId: first.nodeId, outcome: describe(first) }, 'proxied connect not taken; retrying with a fresh route');
  const again = await admitAgain();
  if (again.kind !== 'elsewhere') return completeUpgrade(request, socket, head, again, deps);
  const second = await deps.regions.forward({ request, client: socket, head, route: again.route, fresh: true });
  if (settled(second, socket, again.route, deps)) return;
  refuse(request, socket, head, again.route, deps, describe(second));
}

/** Piped (the upgrade is done here: the deadline no longer applies) or the client left. */
function settled(outcome: ProxyOutcome, socket: Duplex, route: DocumentRoute, deps: DocumentUpgradeDependencies): boolean {
  if (outcome.kind === 'client-gone') return true;
  if (outcome.kind !== 'piped') {
    deps.onHopRefused(outcome.kind === 'no-live-node' ? 'edge-no-live-node' : outcome.kind === 'answered' && outcome.status === 421 ? 'edge-not-owner' : 'edge-unreachable');
    return false;
  }
  deps.onUpgraded(socket);
  deps.logger.debug({ docKey: route.docKey, region: route.region, epoch: route.epoch, nodeId: outcome.nodeId }, 'connect proxied to the owner region');
  return true;
}

function refuse(request: IncomingMessage, socket: Duplex, head: Buffer, route: DocumentRoute, deps: DocumentUpgradeDependencies, why: string): void {
  deps.logger.warn({ docKey: route.docKey, region: route.region, epoch: route.epoch }, `could not proxy a connect to its region: ${why}`);
  completeUpgrade(request, socket, head, { kind: 'refused', error: new WiresocketError('DOCUMENT_PINNED_ELSEWHERE', `region ${route.region}`) }, deps);
}

function describe(outcome: ProxyOutcome): string {
  switch (outcome.kind) {
    case 'answered':
      return `the owner answered ${outcome.status}`;
    case 'unreachable':
      return `the owner did not answer: ${outcome.error.message}`;
    case 'no-live-node':
      return 'no live node of the region';
    case 'piped':
    case 'client-gone':
      return outcome.kind;
  }
}
