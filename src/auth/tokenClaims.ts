import { z } from 'zod';
import { appIdSchema, tenantIdSchema } from '../tenancy/index.js';
import type { Access } from './principal.js';

export const accessValues = ['read-write', 'read-only'] as const satisfies readonly Access[];

/**
 * The claims that name the app whose key verifies a token. Read from the unverified payload only
 * to pick the key, so they are held to the identifier rules before any store lookup.
 */
export const appClaimsSchema = z.object({ tenantId: tenantIdSchema, appId: appIdSchema });

export type AppClaims = z.infer<typeof appClaimsSchema>;

/**
 * The claims of a verified token (DESIGN.md "Auth and tenancy"). Unknown claims are ignored, so an
 * app backend may add its own; `access` defaults to read-write as the design says.
 */
export const tokenClaimsSchema = appClaimsSchema.extend({
  sub: z.string().min(1),
  exp: z.number(),
  access: z.enum(accessValues).default('read-write'),
  docs: z.array(z.string().min(1)).optional(),
});

export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** The `kid` header an issued token carries; ids cannot contain `/`, so it is unambiguous. */
export function appKeyId(tenantId: string, appId: string): string {
  return `${tenantId}/${appId}`;
}
