export { hopHeader, hopLifetimeMs, signHop, verifyHop, type HopCheck, type HopFields } from './hopSignature.js';
export { RegionDirectory, type RegionDirectoryOptions } from './regionDirectory.js';
export { RegionProxy, type RegionProxyOptions, type ProxyOutcome, type ProxyRequest } from './regionProxy.js';
export { forwardUpgrade, type ForwardOptions, type ForwardOutcome, type PipedBytes } from './upgradeForwarder.js';
