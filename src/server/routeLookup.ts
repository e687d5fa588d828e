import { WiresocketError } from '../errors.js';
import type { RegionDirectory } from '../regions/index.js';
import type { RoutingTable } from '../routing/index.js';

/** The body of `GET /v1/route/<documentName>` (issue 15, point 7). */
export type RouteAnswer =
  | { documentName: string; pinned: false }
  /** `url` is a live node of the region; null while the region has none (connects then get 1013). */
  | { documentName: string; pinned: true; region: string; url: string | null; epoch: number };

/**
 * Where a document lives, so an app may connect straight to its region. Read from the store
 * (never a cache), yet only a hint: the pin may move after the answer, and a connect anywhere
 * still works through the proxy.
 */
export async function routeAnswer(documentName: string, docKey: string, routing: RoutingTable, directory: RegionDirectory): Promise<RouteAnswer> {
  try {
    const route = await routing.getRoute(docKey);
    if (route === null) return { documentName, pinned: false };
    const node = await directory.liveNodeOf(route.region);
    return { documentName, pinned: true, region: route.region, url: node?.url ?? null, epoch: route.epoch };
  } catch (error) {
    throw new WiresocketError('STORE_UNAVAILABLE', 'the routing store did not answer', { cause: error });
  }
}
