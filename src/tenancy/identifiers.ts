import { z } from 'zod';

/**
 * Tenant and app ids become part of every document key (`tenantId::appId::name`), so they may not
 * contain the separator or anything that needs escaping: letters, digits, `_`, `-`, `.`.
 */
const identifierPattern = /^[A-Za-z0-9_.-]{1,64}$/;

export const tenantIdSchema = z.string().regex(identifierPattern, 'tenant ids are 1-64 characters of A-Z a-z 0-9 _ - .');
export const appIdSchema = z.string().regex(identifierPattern, 'app ids are 1-64 characters of A-Z a-z 0-9 _ - .');

export function isValidIdentifier(value: string): boolean {
  return identifierPattern.test(value);
}
