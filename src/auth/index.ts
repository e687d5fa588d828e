/** The auth part's public face: token parsing, issuing and verification, and document grants. */
export type { Access, Principal } from './principal.js';
export {
  bearerSubprotocol,
  maxSubprotocolHeaderLength,
  parseBearerSubprotocol,
  type OfferedSubprotocols,
} from './bearerSubprotocol.js';
export {
  appKeyFromPublicKeyPem,
  asymmetricAlgorithmOf,
  generateHs256Secret,
  hs256SecretBytes,
  minHs256SecretBytes,
  privateKeyFromPem,
} from './keyMaterial.js';
export { issueToken, parseTtl, type IssueTokenOptions, type SigningKey } from './tokenIssuer.js';
export {
  TokenVerifier,
  maxTokenLength,
  tokenVerifierDefaults,
  type TokenVerifierOptions,
} from './tokenVerifier.js';
export type { LookupApp } from './appKeyCache.js';
export { grantsDocument } from './documentGrant.js';
