/** The id before every real stream entry: what a document with no appends reports as `last`. */
export const streamStart = '0-0';

/**
 * Orders Redis stream ids (`<ms>-<seq>`, decimal without leading zeros). Compared as digit
 * strings, so 64-bit parts never lose precision in a JavaScript number.
 */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '', aSeq = ''] = a.split('-');
  const [bMs = '', bSeq = ''] = b.split('-');
  return compareDigits(aMs, bMs) || compareDigits(aSeq, bSeq);
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
