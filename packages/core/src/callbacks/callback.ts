import type { Model } from '../model.js';

/** Metric values by name, e.g. `{ loss: 0.03, accuracy: 0.99 }`; validation metrics are prefixed `val_`. */
export type Logs = Record<string, number>;

/** What `fit` tells every callback before training starts. */
export interface TrainingParams {
  epochs: number;
  /** Batches per epoch; undefined for a batch stream until its first epoch has run. */
  steps: number | undefined;
  /** Training samples per epoch; undefined for a batch stream. */
  samples: number | undefined;
  batchSize: number;
  initialEpoch: number;
  verbose: 0 | 1 | 2;
}

/**
 * Base class of all callbacks, as `keras.callbacks.Callback`: override the hooks you need. Hooks may be async;
 * `fit` awaits each in turn. Epochs and batches are counted from 0.
 */
export class Callback {
  model!: Model;
  params!: TrainingParams;

  setModel(model: Model): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs: Logs): void | Promise<void> {}
}
