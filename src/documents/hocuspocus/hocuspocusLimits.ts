/** What one Hocuspocus socket may do beyond the per-document limits (each names the abuse it stops). */
export interface HocuspocusLimits {
  /** Documents open or authenticating on one socket: one socket fanning out over many names. */
  maxDocumentsPerSocket: number;
  /** Messages queued on one socket while its documents authenticate, and ... */
  maxQueuedMessages: number;
  /** ... their bytes: an unauthenticated client cannot grow the queue without bound (GHSA-xwhh-v746-pj9m). */
  maxQueuedBytes: number;
}

/** Hocuspocus's own defaults (`ClientConnection.ts`: 100 pending documents, 1,000 messages, 5 MiB). */
export const defaultHocuspocusLimits: HocuspocusLimits = {
  maxDocumentsPerSocket: 100,
  maxQueuedMessages: 1_000,
  maxQueuedBytes: 5 * 1024 * 1024,
};

/** The limits a Hocuspocus socket can hit, as the metrics name them. */
export type HocuspocusLimitName = 'documents-per-socket' | 'preauth-queue';
