import type { Principal } from './principal.js';

/**
 * Whether a principal may open a document. `docs: null` (no `docs` claim) grants every document of
 * the app; an entry ending in `*` grants every name starting with what precedes it (`*` alone
 * grants all); any other entry grants exactly that name. Only a trailing `*` is special, so a
 * name containing `*` elsewhere still matches only itself.
 */
export function grantsDocument(principal: Pick<Principal, 'docs'>, name: string): boolean {
  if (principal.docs === null) return true;
  return principal.docs.some((pattern) => patternGrants(pattern, name));
}

function patternGrants(pattern: string, name: string): boolean {
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}
