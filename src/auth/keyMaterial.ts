import { createPrivateKey, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import type { AppKey, AsymmetricAlgorithm } from '../tenancy/index.js';

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes). */
export const minHs256SecretBytes = 32;

/** jose refuses RSA keys below 2048 bits; saying so at registration beats a failed connect later. */
const minRsaModulusBits = 2048;

const algorithmByCurve: Readonly<Record<string, AsymmetricAlgorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

const supportedKeysHint =
  'use RSA (RS256), EC P-256 (ES256), P-384 (ES384), P-521 (ES512) or Ed25519 (EdDSA)';

/** A fresh HS256 app secret: 32 random bytes, base64url, so it fits a config file or a CLI flag. */
export function generateHs256Secret(): string {
  return randomBytes(minHs256SecretBytes).toString('base64url');
}

/**
 * The HMAC key bytes for an app secret: its UTF-8 bytes, as most JWT libraries treat a string
 * secret, so an app backend signing with the same string in any language produces tokens we accept.
 */
export function hs256SecretBytes(secret: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < minHs256SecretBytes) {
    throw new Error(
      `an HS256 secret must be at least ${minHs256SecretBytes} bytes (RFC 7518 §3.2); this one has ${bytes.length}. Generate one with generateHs256Secret()`,
    );
  }
  return bytes;
}

/**
 * An app secret as an HMAC key that can only verify, imported once per cached app key: given the
 * raw bytes instead, jose imports them again on every verify (a WebCrypto job per connect).
 */
export async function importHs256VerificationKey(secret: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('raw', hs256SecretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}

/**
 * Builds an app's verification key from a public key PEM (SPKI, PKCS#1 RSA or an X.509
 * certificate), detecting the algorithm from the key itself so an operator cannot register a key
 * under an algorithm it does not fit. The stored PEM is normalised to SPKI, the form jose imports.
 */
export function appKeyFromPublicKeyPem(pem: string): AppKey {
  const label = pemLabel(pem);
  if (label.includes('PRIVATE KEY')) {
    throw new Error(
      `the file holds a private key (BEGIN ${label}); register the app's public key instead, e.g. \`openssl pkey -in key.pem -pubout\`: the server never needs the signing key`,
    );
  }
  const key = readKey(() => createPublicKey(pem), 'public');
  const spki = key.export({ type: 'spki', format: 'pem' }).toString();
  return { kind: 'public-key', algorithm: asymmetricAlgorithmOf(key), pem: spki };
}

/** Reads a private key PEM for signing; a public key is refused since it cannot sign. */
export function privateKeyFromPem(pem: string): KeyObject {
  const label = pemLabel(pem);
  if (!label.includes('PRIVATE KEY')) {
    throw new Error(`the file holds no private key (BEGIN ${label}); signing needs the app's private key`);
  }
  return readKey(() => createPrivateKey(pem), 'private');
}

/** The JWS algorithm a public or private key is used with; throws for key types we do not accept. */
export function asymmetricAlgorithmOf(key: KeyObject): AsymmetricAlgorithm {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return rsaAlgorithm(key);
    case 'ec':
      return ecAlgorithm(key);
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? key.type}; ${supportedKeysHint}`);
  }
}

function rsaAlgorithm(key: KeyObject): AsymmetricAlgorithm {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < minRsaModulusBits) {
    throw new Error(`RSA keys must have at least ${minRsaModulusBits} bits; this one has ${bits}`);
  }
  return 'RS256';
}

function ecAlgorithm(key: KeyObject): AsymmetricAlgorithm {
  const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  const algorithm = algorithmByCurve[curve];
  if (algorithm === undefined) throw new Error(`unsupported EC curve ${curve}; ${supportedKeysHint}`);
  return algorithm;
}

/** The label of the first PEM block (`PUBLIC KEY`, `EC PRIVATE KEY`, ...); plain index search, no regex. */
function pemLabel(text: string): string {
  const begin = '-----BEGIN ';
  const start = text.indexOf(begin);
  const end = start === -1 ? -1 : text.indexOf('-----', start + begin.length);
  if (end === -1) {
    throw new Error('the key is not PEM text: expected a "-----BEGIN PUBLIC KEY-----" block');
  }
  return text.slice(start + begin.length, end);
}

function readKey(read: () => KeyObject, kind: 'public' | 'private'): KeyObject {
  try {
    return read();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the PEM block could not be read as a ${kind} key: ${reason}`, { cause: error });
  }
}
