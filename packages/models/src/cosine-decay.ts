import { LearningRateScheduler } from '@dl/core';

/**
 * The presets' schedule: the learning rate starts at `peak` and follows a half cosine towards zero, one step per epoch,
 * so the last epochs fine-tune with small steps instead of bouncing around the minimum.
 */
export function cosineDecay(peak: number, epochs: number): LearningRateScheduler {
  return new LearningRateScheduler((epoch) => (peak * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2);
}
