import { HousekeepingQueue } from './housekeepingQueue.js';

/**
 * The process's one housekeeping queue: compaction merges and resync checks of every sync layer,
 * the deferred applies of every document, the boards' cadence flushes and idle archivings and the
 * connects-per-IP sweep share one budget per turn, so together they never take more than a few
 * milliseconds of a turn (PERF-6). Parts take it as a default and accept another one (tests); a
 * running server reports its failing tasks (`reportErrorsTo`).
 */
export const housekeeping = new HousekeepingQueue();
