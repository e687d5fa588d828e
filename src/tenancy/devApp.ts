/**
 * The tenant and app a first start creates (the dev bootstrap) and the demo page signs in to:
 * named here so both the CLI and the server's demo routes use the same pair.
 */
export const devTenantId = 'dev';
export const devAppId = 'demo';
