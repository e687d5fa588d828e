import { randomBytes } from 'node:crypto';

/** 32 random bytes (256 bits, the HS256 block's worth), base64url. */
export function generateAdminSecret(): string {
  return randomBytes(32).toString('base64url');
}
