// What a board is made of is defined where it is stored, so storage needs nothing of the sessions.
export type { BoardElement, BoardEvent, ElementMutation, StoredElement, Tombstone } from '../storage/index.js';
export type { BoardSession, JoinResult, Participant, SessionState, SessionStats, SessionType } from './boardSession.js';
export type { BoardBus, BoardBusListener, BoardBusMessage, BoardBusSubscription } from './boardBus.js';
export type { MutationRejection, RejectedMutation } from './checkBatch.js';
export { defaultBoardLimits, type BoardLimits } from './boardLimits.js';
export { BatchInvalidError } from './validateMutations.js';
export { participantPalette, assignColor } from './participantColors.js';
export { MemoryBoardBus, MemoryBoardBusHub } from './memoryBoardBus.js';
export { RedisBoardBus, type RedisBoardBusOptions } from './redisBoardBus.js';
export {
  CollaborationService,
  collaborationDefaults,
  type BatchOptions,
  type BatchOutcome,
  type BoardActivityObserver,
  type CollaborationServiceOptions,
} from './collaborationService.js';
export { BoardConnection, type BoardBroadcast, type BoardConnectionOptions, type BoardSocket } from './boardConnection.js';
export { BoardRooms } from './boardRooms.js';
export { boardIdFromUrl, boardsPathPrefix, isBoardPath } from './boardPath.js';
export { decodeClientBoardMessage, type BoardErrorMessage, type ClientBoardMessage, type ServerBoardMessage } from './boardProtocol.js';
