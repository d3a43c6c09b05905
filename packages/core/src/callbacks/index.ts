/** Keras's callbacks, one per file. */
export { Callback, type Logs, type TrainingParams } from './callback.js';
export { History, type HistoryJson } from './history.js';
export { ProgbarLogger, type ProgbarLoggerOptions } from './progbar-logger.js';
export { LearningRateScheduler, type Schedule } from './learning-rate-scheduler.js';
