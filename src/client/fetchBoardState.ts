import type { BoardElement } from '../storage/boardElements.js';
import type { BoardPages } from './elementPages.js';

/** The little the client needs from `fetch`, met by the browser's and by Node's. */
export type FetchLike = (url: string, init: { headers: Record<string, string> }) => Promise<FetchResponseLike>;

export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}

export interface FetchedBoard {
  sequence: number;
  pages: BoardPages;
}

/** The state request failed: `status` is the HTTP status, 0 when no answer came (or it was not a board). */
export class BoardFetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BoardFetchError';
  }

  /** The close code that means the same to the client (re-authenticate, stop); else retry (1011). */
  get closeCode(): number {
    return closeCodeOfStatus[this.status] ?? 1011;
  }
}

const closeCodeOfStatus: Readonly<Record<number, number>> = { 400: 4400, 401: 4401, 403: 4403, 429: 4429 };

/** The HTTP base of a board server's WebSocket URL: `ws://host:port` serves `http://host:port`. */
export function httpBaseOf(webSocketUrl: string): string {
  return webSocketUrl.replace(/^ws(s?):\/\//i, 'http$1://').replace(/\/+$/, '');
}

/** The board's full state, `GET /v1/boards/<boardId>` (for a `full` join). */
export async function fetchBoardState(fetch: FetchLike, webSocketUrl: string, boardId: string, token: string): Promise<FetchedBoard> {
  const url = `${httpBaseOf(webSocketUrl)}/v1/boards/${encodeURIComponent(boardId)}`;
  let response: FetchResponseLike;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    throw new BoardFetchError(0, `board state request failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) throw new BoardFetchError(response.status, `board state request answered ${response.status}`);
  const body = await response.json().catch(() => null);
  if (!isFetchedBoard(body)) throw new BoardFetchError(0, 'board state response is not a board');
  return { sequence: body.sequence, pages: body.pages };
}

function isFetchedBoard(value: unknown): value is FetchedBoard {
  if (typeof value !== 'object' || value === null) return false;
  const { sequence, pages } = value as Record<string, unknown>;
  if (!Number.isInteger(sequence) || (sequence as number) < 0 || typeof pages !== 'object' || pages === null) return false;
  return Object.values(pages).every((elements) => Array.isArray(elements) && elements.every(isElement));
}

function isElement(value: unknown): value is BoardElement {
  if (typeof value !== 'object' || value === null) return false;
  const { id, type } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof type === 'string';
}
