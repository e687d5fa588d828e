/**
 * Every WebSocket close code the server sends, in one place (DESIGN.md "Close codes").
 *
 * y-websocket 3.1 stops reconnecting on 4400-4499 and retries on everything else, so a 44xx
 * code is used only where no retry can help; conditions a retry can cure use 1xxx or 4503.
 */
export const CloseCode = {
  normal: 1000,
  /** Sent by ws for a broken RFC 6455 frame (RSV bits, bad opcode, unmasked frame). */
  protocolError: 1002,
  /** Sent by ws for invalid UTF-8 in a text frame or a close reason. */
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  /** Hocuspocus's "reset connection": a Hocuspocus socket queued too much before its auth completed. */
  hocuspocusReset: 4205,
  malformedMessage: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  /** The document was deleted (`DELETE /v1/documents/<name>`): it is gone, reconnecting would start an empty one. */
  documentDeleted: 4410,
  quotaExceeded: 4429,
  storeUnavailable: 4503,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** What a client should do after a close with a given code. */
export type ClientReaction = 'none' | 'retry' | 'reauthenticate' | 'stop';

export const clientReactionByCode: Readonly<Record<CloseCode, ClientReaction>> = {
  [CloseCode.normal]: 'none',
  [CloseCode.protocolError]: 'retry',
  [CloseCode.invalidPayload]: 'retry',
  [CloseCode.policyViolation]: 'retry',
  [CloseCode.messageTooBig]: 'retry',
  [CloseCode.internalError]: 'retry',
  [CloseCode.serviceRestart]: 'retry',
  [CloseCode.tryAgainLater]: 'retry',
  [CloseCode.hocuspocusReset]: 'retry',
  [CloseCode.malformedMessage]: 'stop',
  [CloseCode.unauthorized]: 'reauthenticate',
  [CloseCode.forbidden]: 'stop',
  [CloseCode.documentDeleted]: 'stop',
  [CloseCode.quotaExceeded]: 'stop',
  [CloseCode.storeUnavailable]: 'retry',
};
