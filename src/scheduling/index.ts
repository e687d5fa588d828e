export { HousekeepingQueue, defaultBudgetMs, type HousekeepingErrorReporter, type HousekeepingQueueOptions, type HousekeepingTask } from './housekeepingQueue.js';
export { jitteredDelay } from './jitter.js';
export { housekeeping } from './processQueue.js';
export { repeatJittered, type RepeatJitteredOptions } from './repeatJittered.js';
export { defaultThresholdSpread, dueWithinSpread } from './spreadThreshold.js';
