/**
 * The typed board client, `import { BoardClient } from 'wiresocket/client'`. Runs in browsers and
 * in Node: it imports no server module at runtime, only the protocol's types and the close codes.
 */
export { BoardClient } from './boardClient.js';
export type { BoardClientEvents, ConnectionStatus } from './boardClientEvents.js';
export type { BoardClientOptions, TokenSource } from './boardClientOptions.js';
export { BoardClientStoppedError, type BoardClientError } from './boardClientError.js';
export type { BoardSnapshot, ChangeOrigin } from './boardSync.js';
export type { BoardPages } from './elementPages.js';
export type { WebSocketConstructor, WebSocketLike } from './clientSocket.js';
export type { FetchLike, FetchResponseLike } from './fetchBoardState.js';
export type { ReconnectDelays } from './reconnectPolicy.js';
export type { Listener } from './typedEmitter.js';
export type { BoardElement, ElementMutation, Tombstone } from '../storage/boardElements.js';
export type { BoardErrorMessage, ClientBoardMessage, ServerBoardMessage } from '../boards/boardProtocol.js';
export type { Participant, SessionType } from '../boards/boardSession.js';
