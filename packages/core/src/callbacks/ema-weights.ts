import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { OptionError } from '../errors/option-error.js';
import { Callback } from './callback.js';

export interface EmaWeightsOptions {
  /**
   * The average's decay per training step, as Keras's `ema_momentum`: after each step, average ← m·average + (1 − m)·w.
   * It weighs roughly the last 1 / (1 − m) steps. Default 0.99, as Keras.
   */
  emaMomentum?: number;
  /** Write the averages into the model's trainable weights when `fit` ends (default true). */
  overwriteOnTrainEnd?: boolean;
}

/**
 * An exponential moving average of the model's trainable weights over the training steps, written into the model when
 * `fit` ends: what Keras 3 does for an optimizer built with `use_ema=True, ema_momentum=m` and the default
 * `ema_overwrite_frequency=None` (its average starts as the weights after the first step, as here), as a callback, so
 * it works with every optimizer of dl, DP-SGD's included.
 *
 * Why: the last iterate of a noisy optimizer sits somewhere in the noise around a minimum; the average of the last
 * ~1 / (1 − m) iterates sits closer to it. For DP-SGD the average costs no privacy — it is a post-processing of the
 * iterates, each of which the accountant already counts — and De et al. 2022 ("Unlocking high-accuracy differentially
 * private image classification through scale") report it gives a large part of their gains.
 *
 * Only `fit`'s end is changed: the weights a BackupAndRestore or ModelCheckpoint saves during training are the
 * optimizer's own (training continues from them); the average is not saved with them, so a `fit` restored from a
 * backup starts a new average from the restored weights.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 40, callbacks: [new EmaWeights({ emaMomentum: 0.999 })] });
 * // The model now holds the averaged weights.
 * ```
 */
export class EmaWeights extends Callback {
  readonly emaMomentum: number;
  readonly overwriteOnTrainEnd: boolean;
  /** The averages, one per trainable weight in the model's order; undefined before the first step of a `fit`. */
  private average: Variable[] | undefined;

  constructor(options: EmaWeightsOptions = {}) {
    super();
    const { emaMomentum = 0.99, overwriteOnTrainEnd = true } = options;
    if (!(emaMomentum >= 0 && emaMomentum < 1)) {
      throw new OptionError(`EmaWeights: emaMomentum must be in [0, 1), got ${emaMomentum} (0.99 averages over ~100 steps)`);
    }
    this.emaMomentum = emaMomentum;
    this.overwriteOnTrainEnd = overwriteOnTrainEnd;
  }

  override onTrainBegin(): void {
    this.dispose();
  }

  override onTrainBatchEnd(): void {
    const weights = this.weights();
    if (this.average === undefined) {
      this.average = weights.map((w) => tf.variable(w.clone(), false));
      return;
    }
    const m = this.emaMomentum;
    tf.tidy(() => {
      this.average!.forEach((a, i) => a.assign(tf.add(tf.mul(a, m), tf.mul(weights[i]!, 1 - m))));
    });
  }

  override onTrainEnd(): void {
    if (this.overwriteOnTrainEnd) this.writeAverages();
  }

  /** Copies of the current averages (the caller disposes them), in the order of the model's trainable weights. */
  averages(): Tensor[] {
    if (this.average === undefined) throw new OptionError('EmaWeights: no average yet; it starts at the first training step of fit');
    return this.average.map((a) => a.clone());
  }

  /** Writes the averages into the model's trainable weights (what `fit`'s end does unless `overwriteOnTrainEnd` is false). */
  writeAverages(): void {
    if (this.average === undefined) return;
    const weights = this.weights();
    this.average.forEach((a, i) => weights[i]!.assign(a));
  }

  /** Frees the averages. */
  dispose(): void {
    if (this.average) tf.dispose(this.average);
    this.average = undefined;
  }

  private weights(): Variable[] {
    return this.model.net.trainableWeights.map((w) => w.read() as Variable);
  }
}
