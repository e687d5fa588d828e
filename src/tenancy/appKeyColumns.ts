import type { AppKey, AsymmetricAlgorithm } from './tenantRegistry.js';

// How an app's key is stored, in the same three columns by every TenantRegistry adapter.

const asymmetricAlgorithms: readonly AsymmetricAlgorithm[] = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface KeyColumns {
  kind: AppKey['kind'];
  algorithm: string;
  material: string;
}

/** An HS256 secret or an asymmetric public key, as the three key columns. */
export function keyColumns(key: AppKey): KeyColumns {
  switch (key.kind) {
    case 'hs256-secret':
      if (key.secret.length === 0) throw new Error('an hs256-secret key needs a non-empty secret');
      return { kind: key.kind, algorithm: 'HS256', material: key.secret };
    case 'public-key':
      if (!isAsymmetricAlgorithm(key.algorithm)) throw new Error(`unsupported key algorithm ${JSON.stringify(key.algorithm)}`);
      if (key.pem.length === 0) throw new Error('a public-key key needs a non-empty PEM');
      return { kind: key.kind, algorithm: key.algorithm, material: key.pem };
  }
}

export function keyFromColumns(kind: string, algorithm: string, material: string): AppKey {
  if (kind === 'hs256-secret') return { kind, secret: material };
  if (kind === 'public-key' && isAsymmetricAlgorithm(algorithm)) return { kind, algorithm, pem: material };
  // Refuse rather than guess: a misread key could verify tokens it should not.
  throw new Error(`stored app key has unknown kind/algorithm ${JSON.stringify(kind)}/${JSON.stringify(algorithm)}`);
}

function isAsymmetricAlgorithm(value: string): value is AsymmetricAlgorithm {
  return (asymmetricAlgorithms as readonly string[]).includes(value);
}
