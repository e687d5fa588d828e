import { HousekeepingQueue } from './housekeepingQueue.js';

/**
 * The process's one housekeeping queue: compaction merges of every sync layer and the deferred
 * applies of every document share one budget per turn, so together they never take more than a
 * few milliseconds of a turn. Parts take it as a default and accept another one (tests).
 */
export const housekeeping = new HousekeepingQueue();
