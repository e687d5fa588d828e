/** The browser pages' public face: the page registry, their routes and the demo's sign-in. */
export { contentSecurityPolicy } from './contentSecurityPolicy.js';
export { DevDemo, devDemoTokenTtlSeconds, type DevDemoOptions, type DevToken } from './devDemo.js';
export { defaultWebRoot } from './pageAssets.js';
export type { WebPage } from './webPage.js';
export { webPages, type WebPageDependencies } from './webPages.js';
export { WebRoutes, type WebRoutesOptions } from './webRoutes.js';
