import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  appKeyFromPublicKeyPem,
  generateHs256Secret,
  hs256SecretBytes,
  privateKeyFromPem,
} from '../../src/auth/index.js';

const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

const cases = [
  { name: 'RSA 2048', algorithm: 'RS256', pair: () => generateKeyPairSync('rsa', { modulusLength: 2048 }) },
  { name: 'EC P-256', algorithm: 'ES256', pair: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }) },
  { name: 'EC P-384', algorithm: 'ES384', pair: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }) },
  { name: 'EC P-521', algorithm: 'ES512', pair: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }) },
  { name: 'Ed25519', algorithm: 'EdDSA', pair: () => generateKeyPairSync('ed25519') },
] as const;

describe('generateHs256Secret', () => {
  it('returns 32 random bytes as base64url', () => {
    const secret = generateHs256Secret();
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.equal(secret.length, 43);
    assert.notEqual(generateHs256Secret(), secret);
  });
});

describe('hs256SecretBytes', () => {
  it('uses the UTF-8 bytes of the secret', () => {
    const secret = 'x'.repeat(32);
    assert.deepEqual(hs256SecretBytes(secret), new TextEncoder().encode(secret));
  });

  it('refuses a secret shorter than 32 bytes (RFC 7518 §3.2)', () => {
    assert.throws(() => hs256SecretBytes('short'), /at least 32 bytes/);
    assert.throws(() => hs256SecretBytes(''), /at least 32 bytes/);
  });
});

describe('appKeyFromPublicKeyPem', () => {
  for (const { name, algorithm, pair } of cases) {
    it(`detects ${algorithm} from an ${name} public key`, () => {
      const { publicKey } = pair();
      assert.deepEqual(appKeyFromPublicKeyPem(spki(publicKey)), { kind: 'public-key', algorithm, pem: spki(publicKey) });
    });
  }

  it('normalises a PKCS#1 RSA public key to SPKI', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.match(pkcs1, /BEGIN RSA PUBLIC KEY/);
    assert.deepEqual(appKeyFromPublicKeyPem(pkcs1), { kind: 'public-key', algorithm: 'RS256', pem: spki(publicKey) });
  });

  it('refuses a private key in any PEM form', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    assert.throws(() => appKeyFromPublicKeyPem(pkcs8), /private key \(BEGIN PRIVATE KEY\)/);
    assert.throws(() => appKeyFromPublicKeyPem(sec1), /private key \(BEGIN EC PRIVATE KEY\)/);
  });

  it('refuses text that is not PEM', () => {
    assert.throws(() => appKeyFromPublicKeyPem('not a key'), /not PEM/);
    assert.throws(() => appKeyFromPublicKeyPem('{"kty":"RSA"}'), /not PEM/);
  });

  it('refuses a PEM block that does not hold a key', () => {
    const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    assert.throws(() => appKeyFromPublicKeyPem(broken), /could not be read as a public key/);
  });

  it('refuses unsupported key types', () => {
    const ed448 = generateKeyPairSync('ed448').publicKey;
    const x25519 = generateKeyPairSync('x25519').publicKey;
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey;
    assert.throws(() => appKeyFromPublicKeyPem(spki(ed448)), /unsupported key type ed448/);
    assert.throws(() => appKeyFromPublicKeyPem(spki(x25519)), /unsupported key type x25519/);
    assert.throws(() => appKeyFromPublicKeyPem(spki(secp256k1)), /unsupported EC curve secp256k1/);
    assert.throws(() => appKeyFromPublicKeyPem(spki(rsaPss)), /unsupported key type rsa-pss/);
  });

  it('refuses an RSA key below 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => appKeyFromPublicKeyPem(spki(publicKey)), /at least 2048 bits/);
  });
});

describe('privateKeyFromPem', () => {
  it('reads a private key and refuses a public one', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.equal(privateKeyFromPem(pkcs8).type, 'private');
    assert.throws(() => privateKeyFromPem(spki(publicKey)), /no private key/);
  });
});
