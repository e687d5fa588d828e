import type { SessionType } from '../boards/boardSession.js';
import type { WebSocketConstructor } from './clientSocket.js';
import type { FetchLike } from './fetchBoardState.js';
import { defaultReconnectDelays, type ReconnectDelays } from './reconnectPolicy.js';

/** A token, or a function that gets one (called again after the server refused the last one: 4401). */
export type TokenSource = string | (() => Promise<string>);

export interface BoardClientOptions {
  /** The server, `ws://host:port` or `wss://host`; the board socket is `<url>/v1/boards/<boardId>`. */
  url: string;
  boardId: string;
  token: TokenSource;
  displayName: string;
  sessionType?: SessionType;
  /** Default `globalThis.WebSocket`; in Node before 22 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Default `globalThis.fetch`; used for the full state after a `full` join. */
  fetch?: FetchLike;
  reconnect?: Partial<ReconnectDelays>;
}

export interface ResolvedBoardClientOptions {
  url: string;
  boardId: string;
  token: TokenSource;
  displayName: string;
  sessionType: SessionType | undefined;
  WebSocket: WebSocketConstructor;
  fetch: FetchLike;
  reconnect: ReconnectDelays;
}

/** Fills in the defaults; a missing WebSocket or fetch is a setup mistake, said at construction. */
export function resolveBoardClientOptions(options: BoardClientOptions): ResolvedBoardClientOptions {
  const host = globalThis as { WebSocket?: WebSocketConstructor; fetch?: FetchLike };
  const WebSocketClass = options.WebSocket ?? host.WebSocket;
  const fetch = options.fetch ?? host.fetch?.bind(globalThis);
  if (!WebSocketClass) throw new TypeError('BoardClient: no WebSocket here; pass the `WebSocket` option (in Node: `import { WebSocket } from "ws"`)');
  if (!fetch) throw new TypeError('BoardClient: no fetch here; pass the `fetch` option');
  const reconnect = { ...defaultReconnectDelays, ...options.reconnect };
  if (!(reconnect.minDelayMs >= 0 && reconnect.maxDelayMs >= reconnect.minDelayMs)) {
    throw new RangeError('BoardClient: reconnect needs 0 <= minDelayMs <= maxDelayMs');
  }
  return {
    url: options.url.replace(/\/+$/, ''),
    boardId: options.boardId,
    token: options.token,
    displayName: options.displayName,
    sessionType: options.sessionType,
    WebSocket: WebSocketClass,
    fetch,
    reconnect,
  };
}
