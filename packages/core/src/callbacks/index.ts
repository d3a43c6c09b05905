/** Keras's callbacks, one per file. */
export { Callback, type Logs, type TrainingParams } from './callback.js';
export { History, type HistoryJson } from './history.js';
export { ProgbarLogger, type ProgbarLoggerOptions } from './progbar-logger.js';
export { LearningRateScheduler, type Schedule } from './learning-rate-scheduler.js';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export type { MonitorMode } from './monitor.js';
export { ModelCheckpoint, recoverCheckpoint, checkpointAsidePath, type ModelCheckpointOptions } from './model-checkpoint.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-lr-on-plateau.js';
export { CSVLogger, type CSVLoggerOptions } from './csv-logger.js';
export { TerminateOnNaN } from './terminate-on-nan.js';
export { EmaWeights, type EmaWeightsOptions } from './ema-weights.js';
export { TensorBoard, type TensorBoardOptions } from './tensorboard.js';
export { BackupAndRestore, appendHistory, emptyHistory, type BackupAndRestoreOptions, type BackupState } from './backup-and-restore.js';
