import { createPublicKey } from 'node:crypto';
import type { SigningKey } from '../auth/index.js';
import type { AppRecord } from '../tenancy/index.js';
import { formatAppRef } from './appRef.js';

/**
 * The key `token` signs with for an app: the stored HS256 secret, or the private key the operator
 * passed, checked against the registered public key so a wrong file fails here and not at connect.
 */
export function signingKeyFor(app: AppRecord, privateKeyPem: string | undefined): SigningKey {
  const name = formatAppRef(app);
  if (app.key.kind === 'hs256-secret') {
    if (privateKeyPem !== undefined) throw new Error(`app ${name} uses an HS256 secret; --private-key is only for public-key apps`);
    return { kind: 'hs256-secret', secret: app.key.secret };
  }
  if (privateKeyPem === undefined) {
    throw new Error(`app ${name} verifies tokens with a public key (${app.key.algorithm}): pass --private-key <pem-file> to sign`);
  }
  if (!matchesPublicKey(privateKeyPem, app.key.pem)) {
    throw new Error(`--private-key does not match the public key registered for app ${name}`);
  }
  return { kind: 'private-key', pem: privateKeyPem, algorithm: app.key.algorithm };
}

/** Both halves exported as SPKI PEM, the normalised form the registry stores. */
function matchesPublicKey(privateKeyPem: string, publicKeyPem: string): boolean {
  let derived: string;
  try {
    derived = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  } catch (error) {
    throw new Error(`--private-key: not a readable private key (${(error as Error).message})`, { cause: error });
  }
  return derived.trim() === publicKeyPem.trim();
}
