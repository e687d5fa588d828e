import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

export interface ClientOptions {
  token: string;
  /** Reconnect automatically (the stock default). */
  connect?: boolean;
  doc?: Y.Doc;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A stock y-websocket 3.x WebsocketProvider in Node, as an app would create it. */
export function connectClient(serverUrl: string, docName: string, options: ClientOptions): { provider: WebsocketProvider; doc: Y.Doc } {
  const doc = options.doc ?? new Y.Doc();
  const provider = new WebsocketProvider(serverUrl, docName, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    protocols: ['Bearer', options.token],
    connect: options.connect ?? true,
    disableBc: true,
  });
  return { provider, doc };
}

export function waitForSync(provider: WebsocketProvider, timeoutMs = 5000): Promise<void> {
  if (provider.synced) return Promise.resolve();
  return withTimeout(new Promise<void>((resolve) => {
    const onSync = (synced: boolean) => {
      if (!synced) return;
      provider.off('sync', onSync);
      resolve();
    };
    provider.on('sync', onSync);
  }), timeoutMs, 'sync');
}

/** Resolves with the next close event the provider sees. */
export function nextClose(provider: WebsocketProvider, timeoutMs = 5000): Promise<CloseInfo> {
  return withTimeout(new Promise<CloseInfo>((resolve) => {
    const onClose = (event: { code: number; reason: string } | null) => {
      provider.off('connection-close', onClose);
      resolve({ code: event?.code ?? -1, reason: event?.reason ?? '' });
    };
    provider.on('connection-close', onClose);
  }), timeoutMs, 'close');
}

/** Polls until the predicate holds (state propagates asynchronously between real sockets). */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Destroys providers completely: `provider.destroy()` leaves its Awareness interval running. */
export function destroyAll(providers: WebsocketProvider[]): void {
  for (const provider of providers) {
    provider.destroy();
    provider.awareness.destroy();
  }
}
