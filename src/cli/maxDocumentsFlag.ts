import { UsageError } from './usageError.js';

/** The default quota of a new tenant: live document sessions at once (DESIGN.md "Auth and tenancy"). */
export const defaultMaxDocuments = 1000;

/** Reads `--max-documents`; 0 is allowed (it freezes a tenant: no new documents). */
export function parseMaxDocuments(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  const number = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number)) {
    throw new UsageError(`--max-documents must be an integer >= 0; got ${JSON.stringify(value)}`);
  }
  return number;
}
