import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { withTimeout } from './yjsClient.js';

/** One `HocuspocusProviderWebsocket` in Node, as a Tiptap app makes it (`url` without a path). */
export function hocuspocusSocket(url: string): HocuspocusProviderWebsocket {
  return new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket });
}

export interface HocuspocusClient {
  provider: HocuspocusProvider;
  doc: Y.Doc;
  /** Resolves with the reason of the first PermissionDenied for this document. */
  denied: Promise<string>;
  /** Resolves with the scope of the first Authenticated for this document. */
  authenticated: Promise<string>;
  /** Resolves with the first close the provider reports: the server's CLOSE (code 1000 and its reason) or the socket's. */
  closed: Promise<{ code: number; reason: string }>;
}

/** A `HocuspocusProvider` for one document on a shared socket (attached, as apps do with one socket). */
export function connectHocuspocus(
  socket: HocuspocusProviderWebsocket,
  name: string,
  token: string,
  doc = new Y.Doc(),
  options: { sessionAwareness?: boolean } = {},
): HocuspocusClient {
  let deny: (reason: string) => void = () => undefined;
  let authenticate: (scope: string) => void = () => undefined;
  const denied = new Promise<string>((resolve) => (deny = resolve));
  const authenticated = new Promise<string>((resolve) => (authenticate = resolve));
  let close: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (close = resolve));
  const provider = new HocuspocusProvider({
    websocketProvider: socket,
    name,
    token,
    document: doc,
    sessionAwareness: options.sessionAwareness ?? false,
    onAuthenticationFailed: ({ reason }) => deny(reason),
    onAuthenticated: ({ scope }) => authenticate(scope),
    onClose: ({ event }) => close({ code: event.code, reason: event.reason }),
  });
  provider.attach();
  return { provider, doc, denied, authenticated, closed };
}

/** Resolves once the provider got the server's step 2 (`synced`). */
export function waitForHocuspocusSync(provider: HocuspocusProvider, timeoutMs = 5000): Promise<void> {
  if (provider.isSynced) return Promise.resolve();
  return withTimeout(new Promise<void>((resolve) => provider.on('synced', () => resolve())), timeoutMs, 'hocuspocus sync');
}

/** Destroys providers and their sockets. */
export function destroyHocuspocus(providers: HocuspocusProvider[], sockets: HocuspocusProviderWebsocket[]): void {
  for (const provider of providers) provider.destroy();
  for (const socket of sockets) socket.destroy();
}
