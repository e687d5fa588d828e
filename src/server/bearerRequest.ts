import type { IncomingMessage } from 'node:http';
import { maxTokenLength, type Principal, type TokenVerifier } from '../auth/index.js';

/** The principal of `Authorization: Bearer <token>`, verified as a socket's token is; 401 without a valid one. */
export async function authenticateRequest(request: IncomingMessage, verifier: TokenVerifier): Promise<Principal> {
  const header = request.headers.authorization ?? '';
  const token = header.length <= maxTokenLength + 7 && header.startsWith('Bearer ') ? header.slice(7).trim() : null;
  return verifier.verify(token || null);
}
