/**
 * Permanent storage of documents' states, beside the sync layer, which keeps a state only for
 * the lifetime of its session (issue 17, "Archive adapters"; opt-in, the spec's default is none).
 * One Yjs V1 update per document (its whole state), replaced by each write, as y-sweet keeps one
 * object per document and Hocuspocus's database extension one row.
 *
 * Contract (checked by test/archive/documentArchiveContract.ts for every adapter):
 * - `put` resolves only once the state is durable in the archive; a later `get` (from any
 *   process on the same archive) returns those bytes, until a later `put` or `delete`.
 * - `get` of a document never written, or deleted, resolves null.
 * - `delete` resolves true when there was a state to delete.
 * - document keys are opaque: any `tenantId::appId::name` (slashes, spaces, percent signs,
 *   non-ASCII) is one document, distinct from every other key.
 * - a backend that does not answer rejects the call (never a silent success).
 */
export interface DocumentArchive {
  /** A short name for logs: `postgres`, `libsql`, `s3`. */
  readonly kind: string;
  get(docKey: string): Promise<Uint8Array | null>;
  put(docKey: string, state: Uint8Array): Promise<void>;
  delete(docKey: string): Promise<boolean>;
  /** Resolves when the backend answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
