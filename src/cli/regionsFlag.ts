import { UsageError } from './usageError.js';

const regionPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `--regions a,b` (residency, issue 15 point 6): the regions a tenant's documents and boards may
 * be pinned to. No value, or `*`, lifts the limit (null); absent is undefined (left as it is).
 */
export function parseRegionsFlag(value: unknown): string[] | null | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (text === '' || text === '*') return null;
  const regions = text.split(',').map((region) => region.trim());
  const bad = regions.find((region) => !regionPattern.test(region));
  if (bad !== undefined) {
    throw new UsageError(`--regions takes region names (1-64 characters of A-Z a-z 0-9 _ - .) separated by commas, or * for anywhere; got ${JSON.stringify(text)}`);
  }
  return [...new Set(regions)];
}

/** A bare `--regions` (last, or before another flag) means "no value": the strict parser would refuse it. */
export function bareRegionsAsEmpty(args: readonly string[]): string[] {
  return args.map((arg, index) => (arg === '--regions' && (index + 1 >= args.length || args[index + 1].startsWith('-')) ? '--regions=' : arg));
}

export function describeRegions(regions: readonly string[] | null | undefined): string {
  return regions ? regions.join(',') : 'anywhere';
}
