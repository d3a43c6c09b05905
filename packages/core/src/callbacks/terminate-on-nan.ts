import { Callback, type Logs } from './callback.js';

/**
 * Stops training when a batch's loss is NaN or infinite, as Keras's TerminateOnNaN: it sets `model.stopTraining` and
 * prints `Batch N: Invalid loss, terminating training` (N counted from 0 within the epoch) to stderr.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 10, callbacks: [new TerminateOnNaN()] });
 * ```
 */
export class TerminateOnNaN extends Callback {
  /** The batch (counted from 0 within its epoch) whose loss was not finite, once training was terminated. */
  terminatedAt: { epoch: number; batch: number } | undefined;
  private epoch = 0;

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  override onTrainBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    process.stderr.write(`Batch ${batch}: Invalid loss, terminating training\n`);
    this.terminatedAt = { epoch: this.epoch, batch };
    this.model.stopTraining = true;
  }
}
