export type { AppKey, AppRecord, AsymmetricAlgorithm, KeyRotation, NewApp, Tenant, TenantRegistry } from './tenantRegistry.js';
export { LibsqlTenantRegistry } from './libsqlTenantRegistry.js';
export { PostgresTenantRegistry } from './postgresTenantRegistry.js';
export {
  checkDocumentName,
  documentKey,
  documentNameFromUrl,
  maxDocumentNameBytes,
  parseDocumentKey,
  type ParsedDocumentKey,
} from './documentKey.js';
export { appIdSchema, isValidIdentifier, tenantIdSchema } from './identifiers.js';
export { devAppId, devTenantId } from './devApp.js';
