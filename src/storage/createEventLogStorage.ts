import { isPostgresUrl, redactedUrl } from '../routing/index.js';
import type { EventLogStorage } from './eventLogStorage.js';
import { LibsqlEventLogStorage } from './libsqlEventLogStorage.js';
import { PostgresEventLogStorage } from './postgresEventLogStorage.js';

export interface EventLogStorageOptions {
  /**
   * `file:path` (the embedded default, `file:./.wiresocket/wiresocket.db`, shared with the
   * control store), `:memory:`, `libsql://`, `http(s)://`, `ws(s)://` (libSQL/Turso), or
   * `postgres://` / `postgresql://` (tables in the first schema of the search_path; another schema
   * with `?options=-c%20search_path%3Dboards`).
   */
  url: string;
  /** libSQL/Turso only: the database token. */
  authToken?: string;
}

const libsqlSchemes = ['file:', 'libsql:', 'http:', 'https:', 'ws:', 'wss:'];

export const acceptedStorageUrls =
  'file:, :memory:, libsql://, http(s)://, ws(s):// (libSQL/Turso) or postgres:// / postgresql:// (PostgreSQL)';

/** Opens (and migrates) the board storage the URL names. */
export async function createEventLogStorage(options: EventLogStorageOptions): Promise<EventLogStorage> {
  const { url, authToken } = options;
  if (url === ':memory:' || libsqlSchemes.includes(schemeOf(url))) return LibsqlEventLogStorage.open({ url, authToken });
  if (isPostgresUrl(url)) {
    if (authToken !== undefined) throw new Error('an auth token is for libSQL/Turso; put PostgreSQL credentials in the URL');
    return PostgresEventLogStorage.open({ url });
  }
  throw new Error(`the board storage URL ${JSON.stringify(redactedUrl(url))} is not supported: use ${acceptedStorageUrls}`);
}

/** The scheme with its colon, lower case (`file:`), or '' when the text has none. */
function schemeOf(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return match === null ? '' : `${match[1].toLowerCase()}:`;
}
