import { WiresocketError } from '../errors.js';
import { documentNameFromUrl } from '../tenancy/index.js';

/** Where boards live on the server (DESIGN.md "Endpoints"): `/v1/boards/<boardId>`, socket and HTTP. */
export const boardsPathPrefix = '/v1/boards/';

export function isBoardPath(url: string): boolean {
  return url.startsWith(boardsPathPrefix);
}

/** The board id of a `/v1/boards/<boardId>` URL: decoded and checked as document names are. */
export function boardIdFromUrl(url: string): string {
  try {
    return documentNameFromUrl(`/${url.slice(boardsPathPrefix.length)}`);
  } catch (error) {
    throw new WiresocketError('BOARD_ID_INVALID', error instanceof WiresocketError ? error.message : 'invalid');
  }
}
