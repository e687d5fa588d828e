import type { BoardErrorMessage } from '../boards/boardProtocol.js';

/**
 * Something the app should hear about: a batch the server refused (whole or in part), a server
 * error frame, or why the client stopped (`closeCode` set then).
 */
export interface BoardClientError {
  /** The server's code (MUTATION_CONFLICT, READ_ONLY, BOARD_FORBIDDEN, ...) or the client's own (CLOSED, ...). */
  code: string;
  message: string;
  /** The batch it is about. */
  clientBatchId?: string;
  /** The close code of the socket, when the client stopped because of it. */
  closeCode?: number;
  /** The server's frame, when the error came as one (with a conflict's tombstone or ids). */
  serverError?: BoardErrorMessage;
}

/** How `connect()` and `whenSettled()` fail: the client stopped, or was closed, first. */
export class BoardClientStoppedError extends Error {
  constructor(readonly reason: BoardClientError) {
    super(`board client stopped: ${reason.code}: ${reason.message}`);
    this.name = 'BoardClientStoppedError';
  }
}

export function errorFromFrame(frame: BoardErrorMessage): BoardClientError {
  return { code: frame.code, message: frame.message, ...(frame.clientBatchId === undefined ? {} : { clientBatchId: frame.clientBatchId }), serverError: frame };
}
