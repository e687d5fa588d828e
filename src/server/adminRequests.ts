import { z } from 'zod';
import { parseTtl } from '../auth/index.js';
import { WiresocketError } from '../errors.js';
import { appIdSchema, tenantIdSchema } from '../tenancy/index.js';

// The bodies of the admin API's actions, checked once at the boundary; a bad one is a 400 that names the field.

const maxDocuments = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A residency list, or null (anywhere); the registry checks each name. */
const regions = z.array(z.string()).nullable();

export const newTenantBody = z.strictObject({ tenantId: tenantIdSchema, maxDocuments: maxDocuments.default(1000), regions: regions.optional() });

export const tenantChangeBody = z
  .strictObject({ maxDocuments: maxDocuments.optional(), regions: regions.optional() })
  .refine((body) => body.maxDocuments !== undefined || body.regions !== undefined, 'give maxDocuments or regions');

export const newAppBody = z.strictObject({ tenantId: tenantIdSchema, appId: appIdSchema, publicKey: z.string().min(1).optional() });

export const rotateKeyBody = z.strictObject({ publicKey: z.string().min(1).optional() });

export const tokenBody = z.strictObject({
  userId: z.string().min(1).max(256),
  /** `30s`, `15m`, `1h`, `7d` or seconds, as `wiresocket token --ttl`. */
  ttl: z.string().default('1h'),
  docs: z.array(z.string().min(1)).min(1).optional(),
  access: z.enum(['read-write', 'read-only']).optional(),
});

/** The JSON body, parsed by `schema`; an empty body is `{}`. */
export function parseBody<T>(schema: z.ZodType<T>, bytes: Uint8Array): T {
  let value: unknown = {};
  const text = Buffer.from(bytes).toString('utf8');
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new WiresocketError('REQUEST_INVALID', 'the body is not JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new WiresocketError('REQUEST_INVALID', issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'the body does not fit');
}

/** The `ttl` of a token request in seconds. */
export function ttlSecondsOf(ttl: string): number {
  try {
    return parseTtl(ttl);
  } catch (error) {
    throw new WiresocketError('REQUEST_INVALID', `ttl: ${(error as Error).message}`);
  }
}
