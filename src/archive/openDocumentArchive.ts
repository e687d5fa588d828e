import { isPostgresUrl } from '../routing/index.js';
import type { DocumentArchive } from './documentArchive.js';
import { LibsqlDocumentArchive } from './libsqlDocumentArchive.js';
import { PostgresDocumentArchive } from './postgresDocumentArchive.js';
import { S3DocumentArchive } from './s3DocumentArchive.js';

export interface ArchiveOpenOptions {
  /** `postgres://...`, `file:<path>` (libSQL) or `s3://bucket/prefix`. */
  url: string;
  /** S3 only: an S3-compatible endpoint (path-style requests). */
  s3Endpoint?: string;
}

/** What `--archive-url` accepts, for messages. */
export const acceptedArchiveUrls = 'postgres://..., file:<path> (a libSQL file) or s3://bucket/prefix';

/** Opens (and for databases migrates) the archive the URL names. */
export async function openDocumentArchive(options: ArchiveOpenOptions): Promise<DocumentArchive> {
  const { url } = options;
  if (isPostgresUrl(url)) return PostgresDocumentArchive.open({ url });
  if (url.startsWith('file:')) return LibsqlDocumentArchive.open(url);
  const s3 = parseS3Url(url);
  if (s3) return new S3DocumentArchive({ ...s3, endpoint: options.s3Endpoint });
  throw new Error(`the archive URL must be ${acceptedArchiveUrls}`);
}

/** `s3://bucket/some/prefix` -> bucket `bucket`, prefix `some/prefix/`; null when not an S3 URL. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | null {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) return null;
  const path = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: match[1], prefix: path === '' ? '' : `${path}/` };
}
