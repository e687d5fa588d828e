import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { connectClient, destroyAll } from '../helpers/yjsClient.js';

export interface SyncedClient {
  provider: WebsocketProvider;
  doc: Y.Doc;
  /** Close codes of the attempts before the one that synced. */
  refused: number[];
}

/**
 * Connects a stock client and, while the server refuses it (a 44xx close makes the stock client
 * give up), retries with a fresh provider until one syncs or the time is up. This is how a change
 * "applies to a running server within N s" is measured.
 */
export async function syncWithin(url: string, docName: string, token: string, timeoutMs: number): Promise<SyncedClient> {
  const deadline = Date.now() + timeoutMs;
  const refused: number[] = [];
  while (Date.now() < deadline) {
    const client = connectClient(url, docName, { token });
    const outcome = await firstOutcome(client.provider, deadline - Date.now());
    if (outcome === 'synced') return { ...client, refused };
    destroyAll([client.provider]);
    refused.push(outcome);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`"${docName}" did not sync within ${timeoutMs} ms; close codes: ${refused.join(', ')}`);
}

/** 'synced', the close code, or -1 on timeout; listeners and the timer are always removed. */
function firstOutcome(provider: WebsocketProvider, timeoutMs: number): Promise<'synced' | number> {
  return new Promise((resolve) => {
    const finish = (outcome: 'synced' | number) => {
      clearTimeout(timer);
      provider.off('sync', onSync);
      provider.off('connection-close', onClose);
      resolve(outcome);
    };
    const onSync = (synced: boolean) => synced && finish('synced');
    const onClose = (event: { code: number } | null) => finish(event?.code ?? -1);
    const timer = setTimeout(() => finish(-1), Math.max(timeoutMs, 0));
    provider.on('sync', onSync);
    provider.on('connection-close', onClose);
  });
}
