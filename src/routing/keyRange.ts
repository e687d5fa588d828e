/**
 * The smallest string greater than every string that starts with `prefix` (its last character
 * raised by one), so "keys with this prefix" is the range `[prefix, prefixEnd(prefix))`: an
 * index range scan, where `LIKE` would need its `%` and `_` escaped in document names.
 * Document-key prefixes end in `::`, an ASCII character, so the raise never overflows.
 */
export function prefixEnd(prefix: string): string {
  if (prefix === '') throw new Error('prefixEnd: an empty prefix has no end');
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}
