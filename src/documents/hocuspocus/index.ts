export { HocuspocusSocket, type HocuspocusSocketOptions, type AuthorizedDocument } from './hocuspocusSocket.js';
export { HocuspocusConnection } from './hocuspocusConnection.js';
export { decodeHocuspocusFrame } from './decodeHocuspocusFrame.js';
export * from './encodeHocuspocusMessage.js';
export * from './hocuspocusProtocol.js';
export { defaultHocuspocusLimits, type HocuspocusLimitName, type HocuspocusLimits } from './hocuspocusLimits.js';
