import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyOutcome, RegionProxy } from '../regions/index.js';
import type { DocumentRoute } from '../routing/index.js';
import type { HopRefusal } from './serverMetrics.js';

export interface BoardProxyDependencies {
  regions: RegionProxy | null;
  onUpgraded: (socket: Duplex) => void;
  onHopRefused: (reason: HopRefusal) => void;
}

/** What the board upgrade does when the proxy cannot take the socket: serve or refuse it here. */
export type BoardFallback = (route: DocumentRoute | null) => Promise<void>;

/**
 * The edge half of a board socket of another region's board (issue 15, point 3), as for
 * documents (proxiedDocumentUpgrade.ts): piped raw to a live node of the pinned region; on 421,
 * no answer or no live node, the board's place is asked again once (`placeAgain` answers the
 * route to try, or null when the board is now this region's) and tried once more; then
 * `fallback` serves it here (null) or refuses it with 1013.
 */
export async function proxyBoardToRegion(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  route: DocumentRoute,
  placeAgain: () => Promise<DocumentRoute | null>,
  fallback: BoardFallback,
  deps: BoardProxyDependencies,
): Promise<void> {
  if (deps.regions === null) return fallback(route);
  const first = await deps.regions.forward({ request, client: socket, head, route, fresh: false });
  if (settled(first, socket, deps)) return;
  const again = await placeAgain();
  if (again === null) return fallback(null);
  const second = await deps.regions.forward({ request, client: socket, head, route: again, fresh: true });
  if (settled(second, socket, deps)) return;
  return fallback(again);
}

function settled(outcome: ProxyOutcome, socket: Duplex, deps: BoardProxyDependencies): boolean {
  if (outcome.kind === 'client-gone') return true;
  if (outcome.kind === 'piped') {
    deps.onUpgraded(socket);
    return true;
  }
  deps.onHopRefused(outcome.kind === 'no-live-node' ? 'edge-no-live-node' : outcome.kind === 'answered' && outcome.status === 421 ? 'edge-not-owner' : 'edge-unreachable');
  return false;
}
