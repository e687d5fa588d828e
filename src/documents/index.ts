export { DocumentSessions, type DocumentSessionsOptions, type Admission } from './documentSessions.js';
export { DocumentSession, type ChangeOrigin } from './documentSession.js';
export { DocumentConnection } from './documentConnection.js';
export type { MinimalSocket } from './minimalSocket.js';
export { decodeClientFrame } from './decodeClientFrame.js';
export { validateUpdate } from './validateUpdate.js';
export * from './encodeServerMessage.js';
export * from './protocol.js';
export { SharedMessage } from './sharedMessage.js';
export { defaultDocumentLimits, type DocumentLimitName, type DocumentLimits } from './documentLimits.js';
export { claimHopEpoch, PinnedElsewhereError, residencyTarget, type HopClaim } from './pinnedElsewhere.js';
export { fenceVerdict, type SuspendedDocument } from './routingFence.js';
export {
  HocuspocusSocket,
  defaultHocuspocusLimits,
  type AuthorizedDocument,
  type HocuspocusLimitName,
  type HocuspocusLimits,
} from './hocuspocus/index.js';
export type { DocumentUpdateWatch, DocumentWebhooks } from './documentWebhooks.js';
export type { DocumentEndReason, DocumentEnded, DocumentHooks, OpeningDocument, WatchedDocument } from './documentHooks.js';
export { documentToJson, type DocumentJson } from './documentJson.js';
