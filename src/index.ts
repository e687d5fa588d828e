/**
 * The package's public face: run a server from code, or reuse its parts (stores, auth, sync
 * layer) in an app's own process and tests.
 */
export { WiresocketServer, type WiresocketServerOptions } from './server/wiresocketServer.js';
export { loadServeConfig, loadStoreConfig, serveDefaults, ConfigError, type ServeConfig, type StoreConfig } from './config.js';
export { CloseCode, clientReactionByCode, type ClientReaction } from './closeCodes.js';
export { errorCatalog, WiresocketError, isWiresocketError, type ErrorCode } from './errors.js';
export { createLogger, silentLogger, type Logger, type LogLevel } from './log.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export * from './auth/index.js';
export * from './lifecycle/index.js';
export * from './routing/index.js';
export * from './sync/index.js';
export * from './tenancy/index.js';
export { DocumentSessions, DocumentSession, type Admission, type MinimalSocket } from './documents/index.js';
export * from './boards/index.js';
export * from './storage/index.js';
export * from './admin/index.js';
