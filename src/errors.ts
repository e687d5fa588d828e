import { CloseCode } from './closeCodes.js';

/**
 * The error catalog: each entry is a stable code, a default message, and the close code and HTTP
 * status it maps to. Code that rejects a request throws `WiresocketError` with one of these.
 */
export const errorCatalog = {
  TOKEN_MISSING: { message: 'no Bearer token was offered', closeCode: CloseCode.unauthorized, httpStatus: 401 },
  TOKEN_INVALID: { message: 'the token is malformed or its signature does not verify', closeCode: CloseCode.unauthorized, httpStatus: 401 },
  TOKEN_EXPIRED: { message: 'the token has expired', closeCode: CloseCode.unauthorized, httpStatus: 401 },
  TOKEN_KEY_ROTATED: { message: "the app's signing key was rotated: get a token signed with the new key", closeCode: CloseCode.unauthorized, httpStatus: 401 },
  TOKEN_CLAIMS: { message: 'the token lacks a required claim (sub, tenantId, appId, exp)', closeCode: CloseCode.unauthorized, httpStatus: 401 },
  APP_UNKNOWN: { message: 'the token names an app that is not registered', closeCode: CloseCode.unauthorized, httpStatus: 401 },
  DOCUMENT_FORBIDDEN: { message: 'the token does not grant this document', closeCode: CloseCode.forbidden, httpStatus: 403 },
  DOCUMENT_NAME_INVALID: { message: 'the document name is empty, too long or not valid percent-encoding', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  QUOTA_EXCEEDED: { message: "the tenant's maxDocuments limit is reached", closeCode: CloseCode.quotaExceeded, httpStatus: 429 },
  TENANT_UNKNOWN: { message: 'the tenant does not exist', closeCode: CloseCode.forbidden, httpStatus: 403 },
  MESSAGE_MALFORMED: { message: 'the message could not be decoded', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  MESSAGE_TEXT_FRAME: { message: 'document sockets carry binary frames only', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  MESSAGE_UNKNOWN_TYPE: { message: 'unknown message type', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  UPDATE_INVALID: { message: 'the Yjs update is empty or does not decode', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  MESSAGE_TOO_BIG: { message: 'the message is larger than the configured limit', closeCode: CloseCode.messageTooBig, httpStatus: 413 },
  MESSAGE_RATE_LIMITED: { message: 'too many messages: the connection exceeded its rate and burst', closeCode: CloseCode.quotaExceeded, httpStatus: 429 },
  STATELESS_RATE_LIMITED: { message: 'too many stateless messages: the connection exceeded their rate and burst', closeCode: CloseCode.quotaExceeded, httpStatus: 429 },
  AWARENESS_TOO_LARGE: { message: 'an awareness state is larger than the limit', closeCode: CloseCode.messageTooBig, httpStatus: 413 },
  DOCUMENTS_PER_SOCKET: { message: 'the socket has as many documents open as it may have', closeCode: CloseCode.quotaExceeded, httpStatus: 429 },
  PREAUTH_QUEUE_FULL: { message: 'too many messages queued before their document authenticated', closeCode: CloseCode.hocuspocusReset, httpStatus: 429 },
  DOCUMENT_FULL: { message: 'the document has as many connections as it may have on this node', closeCode: CloseCode.tryAgainLater, httpStatus: 503 },
  SLOW_READER: { message: 'the client did not read what it was sent', closeCode: CloseCode.tryAgainLater, httpStatus: 503 },
  CONNECTION_SILENT: { message: 'the client answered no ping within the liveness timeout', closeCode: CloseCode.tryAgainLater, httpStatus: 408 },
  HANDSHAKE_TIMEOUT: { message: 'the connection sent nothing within the handshake deadline', closeCode: CloseCode.tryAgainLater, httpStatus: 408 },
  STORE_UNAVAILABLE: { message: 'a backing store is unavailable', closeCode: CloseCode.storeUnavailable, httpStatus: 503 },
  BOARD_FORBIDDEN: { message: 'the token does not grant this board', closeCode: CloseCode.forbidden, httpStatus: 403 },
  BOARD_ID_INVALID: { message: 'the board id is empty, too long or not valid percent-encoding', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  BOARD_MESSAGE_INVALID: { message: 'the board message is not JSON, has an unknown type or the wrong shape', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  BOARD_NOT_JOINED: { message: 'send join before anything else', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  BOARD_JOIN_TIMEOUT: { message: 'no join within the handshake deadline', closeCode: CloseCode.tryAgainLater, httpStatus: 408 },
  BOARD_FULL: { message: 'the board has as many participants as it may have', closeCode: CloseCode.tryAgainLater, httpStatus: 503 },
  BOARD_SESSION_NOT_FOUND: { message: 'no session for this board: join first', closeCode: CloseCode.malformedMessage, httpStatus: 404 },
  MUTATION_INVALID: { message: 'a mutation does not match the schema', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  ELEMENT_TOO_LARGE: { message: 'an element is larger than the limit', closeCode: CloseCode.messageTooBig, httpStatus: 413 },
  BATCH_TOO_LARGE: { message: 'the batch holds more mutations than the limit', closeCode: CloseCode.messageTooBig, httpStatus: 413 },
  MUTATION_CONFLICT: { message: 'a mutation conflicts with the board (a deleted or missing element)', closeCode: CloseCode.malformedMessage, httpStatus: 409 },
  READ_ONLY: { message: 'the token is read-only: mutations are refused', closeCode: CloseCode.forbidden, httpStatus: 403 },
  RATE_LIMITED: { message: 'too many batches: slow down and resend', closeCode: CloseCode.quotaExceeded, httpStatus: 429 },
  DOCUMENT_PINNED_ELSEWHERE: { message: 'the document is pinned to another region, and no live node of it could take this connect', closeCode: CloseCode.tryAgainLater, httpStatus: 503 },
  RESIDENCY_UNAVAILABLE: { message: "no live node of a region this tenant's documents may be pinned to", closeCode: CloseCode.tryAgainLater, httpStatus: 503 },
  HOP_INVALID: { message: 'the hop header is malformed, forged or expired, or this node accepts no proxied connects', closeCode: CloseCode.forbidden, httpStatus: 403 },
  HOP_NOT_OWNER: { message: "this node's region does not hold the document at the hop's epoch", closeCode: CloseCode.tryAgainLater, httpStatus: 421 },
  SERVER_SHUTTING_DOWN: { message: 'the server is restarting', closeCode: CloseCode.serviceRestart, httpStatus: 503 },
  DOCUMENT_MISDIRECTED: { message: "the document is pinned to another region: send the request to that region's node (see route)", closeCode: CloseCode.tryAgainLater, httpStatus: 421 },
  DOCUMENT_DELETED: { message: 'the document was deleted', closeCode: CloseCode.documentDeleted, httpStatus: 410 },
  DOCUMENT_NOT_FOUND: { message: 'no live session and no archived state for this document', closeCode: CloseCode.malformedMessage, httpStatus: 404 },
  UPDATE_UNREACHABLE: { message: 'the update builds on content the document lacks (send the missing updates first)', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  REQUEST_INVALID: { message: 'the request is not valid', closeCode: CloseCode.malformedMessage, httpStatus: 400 },
  METHOD_NOT_ALLOWED: { message: 'the method is not allowed on this path', closeCode: CloseCode.malformedMessage, httpStatus: 405 },
  ADMIN_TOKEN_REQUIRED: { message: 'the admin API takes only admin tokens (wiresocket admin token), never an app token', closeCode: CloseCode.forbidden, httpStatus: 403 },
  ADMIN_NOT_FOUND: { message: 'no such admin resource', closeCode: CloseCode.malformedMessage, httpStatus: 404 },
  ADMIN_CONFLICT: { message: 'it exists already', closeCode: CloseCode.malformedMessage, httpStatus: 409 },
  INTERNAL: { message: 'unexpected server error', closeCode: CloseCode.internalError, httpStatus: 500 },
} as const satisfies Record<string, { message: string; closeCode: CloseCode; httpStatus: number }>;

export type ErrorCode = keyof typeof errorCatalog;

export class WiresocketError extends Error {
  readonly code: ErrorCode;
  readonly closeCode: CloseCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = errorCatalog[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = 'WiresocketError';
    this.code = code;
    this.closeCode = entry.closeCode;
    this.httpStatus = entry.httpStatus;
  }
}

export function isWiresocketError(error: unknown): error is WiresocketError {
  return error instanceof WiresocketError;
}

/**
 * Runs a call to a store (routing, registry, archive, sync layer) and turns what it throws into
 * STORE_UNAVAILABLE (4503 / 503), keeping a WiresocketError as it is: a request that failed on
 * a store gets the catalog's answer, with the store's error as its cause.
 */
export async function fromStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WiresocketError) throw error;
    throw new WiresocketError('STORE_UNAVAILABLE', error instanceof Error ? error.message : String(error), { cause: error });
  }
}
