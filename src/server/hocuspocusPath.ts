/** Where the Hocuspocus dialect is served: `HocuspocusProviderWebsocket({ url: 'ws://host:1234' })` connects to `/`. */
export const hocuspocusPaths: ReadonlySet<string> = new Set(['/', '/v1/hocuspocus']);

/**
 * Whether an upgrade is for the Hocuspocus dialect: by path only, query ignored, never by
 * sniffing bytes (an empty y-websocket name and a Hocuspocus frame would look alike). A
 * y-websocket document name is never empty, so `/` belongs to Hocuspocus.
 */
export function isHocuspocusPath(url: string): boolean {
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  return hocuspocusPaths.has(path === '' ? '/' : path);
}
