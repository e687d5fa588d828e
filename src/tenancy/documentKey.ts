import { WiresocketError } from '../errors.js';

/** Longest document name a client may use, in UTF-8 bytes. */
export const maxDocumentNameBytes = 512;

const separator = '::';

/**
 * The key of a document inside the cluster. Tenant and app come from the verified token only;
 * the name is the client's and may contain anything (including `::` and `/`): because the
 * tenant and app ids cannot contain `:`, the first two separators always end them, so no name
 * can reach into another tenant's key space.
 */
export function documentKey(tenantId: string, appId: string, name: string): string {
  return `${tenantId}${separator}${appId}${separator}${name}`;
}

export interface ParsedDocumentKey {
  tenantId: string;
  appId: string;
  name: string;
}

export function parseDocumentKey(key: string): ParsedDocumentKey {
  const first = key.indexOf(separator);
  const second = first < 0 ? -1 : key.indexOf(separator, first + separator.length);
  if (first < 0 || second < 0) throw new Error(`not a document key: ${key}`);
  return {
    tenantId: key.slice(0, first),
    appId: key.slice(first + separator.length, second),
    name: key.slice(second + separator.length),
  };
}

/**
 * The document name of a WebSocket URL: the path after the first `/`, percent-decoded, query
 * string removed (DESIGN.md "Endpoints"). Empty, over-long or badly encoded names are rejected.
 */
export function documentNameFromUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const raw = path.startsWith('/') ? path.slice(1) : path;
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new WiresocketError('DOCUMENT_NAME_INVALID', 'bad percent-encoding');
  }
  return checkDocumentName(name);
}

/**
 * A document name as a client gave it (decoded already: the Hocuspocus dialect sends it raw in
 * each message), or DOCUMENT_NAME_INVALID: empty, over-long or holding control characters.
 */
export function checkDocumentName(name: string): string {
  if (name.length === 0) throw new WiresocketError('DOCUMENT_NAME_INVALID', 'empty name');
  // Control characters (C0 such as NUL and newlines, DEL, and the C1 range U+0080-U+009F) are
  // never part of a printable name and confuse logs and terminals.
  if (/\p{Cc}/u.test(name)) throw new WiresocketError('DOCUMENT_NAME_INVALID', 'control character in name');
  if (Buffer.byteLength(name, 'utf8') > maxDocumentNameBytes) {
    throw new WiresocketError('DOCUMENT_NAME_INVALID', `longer than ${maxDocumentNameBytes} bytes`);
  }
  return name;
}
