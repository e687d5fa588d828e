import { isValidIdentifier } from '../tenancy/index.js';
import { UsageError } from './usageError.js';

/** An app named on the command line as `<tenantId>/<appId>`. */
export interface AppRef {
  tenantId: string;
  appId: string;
}

export function parseAppRef(text: string | undefined): AppRef {
  if (text === undefined) throw new UsageError('missing <tenantId>/<appId>');
  const parts = text.split('/');
  const [tenantId, appId] = parts;
  if (parts.length !== 2 || tenantId === undefined || appId === undefined || !isValidIdentifier(tenantId) || !isValidIdentifier(appId)) {
    throw new UsageError(
      `expected <tenantId>/<appId> (each 1-64 characters of A-Z a-z 0-9 _ - .); got ${JSON.stringify(text)}`,
    );
  }
  return { tenantId, appId };
}

export function formatAppRef(ref: AppRef): string {
  return `${ref.tenantId}/${ref.appId}`;
}
