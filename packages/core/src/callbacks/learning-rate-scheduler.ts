import { getLearningRate, setLearningRate } from '../optimizers.js';
import { Callback, type Logs } from './callback.js';

/** Returns the learning rate for `epoch` (counted from 0), given the current one. */
export type Schedule = (epoch: number, learningRate: number) => number;

/**
 * Sets the optimizer's learning rate at the start of each epoch from `schedule`, as Keras's LearningRateScheduler,
 * and logs it as `learningRate`. A model with several optimizers (`model.optimizers`, e.g. a GAN's two) has the
 * schedule applied to each, from its own current rate.
 */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: Schedule) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    for (const optimizer of this.model.optimizers) setLearningRate(optimizer, this.schedule(epoch, getLearningRate(optimizer)));
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learningRate = getLearningRate(this.model.optimizer);
  }
}
