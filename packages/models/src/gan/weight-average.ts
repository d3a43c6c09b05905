/**
 * An exponential moving average of a network's weights: after each update of the source network,
 * `average ← m · average + (1 − m) · source`. A GAN's generator averaged so draws cleaner samples than the weights of
 * its last step, which oscillate with the adversarial game (Yazıcı et al. 2019, "The Unusual Effectiveness of
 * Averaging in GAN Training"; the "generator EMA" of Karras et al.'s progressive GANs). Batch normalisation's moving
 * statistics are averaged alike.
 */
import { afterEachCall, cloneModel, hostTensors, tf, type Model, type Variable } from '@dl/core';

export class WeightAverage {
  /**
   * `model`: the averaged copy (same architecture as the source); `momentum` m in (0, 1); `updates`: how many updates
   * it has absorbed. Over the first updates the momentum ramps up as (1 + n) / (10 + n) (as TensorFlow's
   * ExponentialMovingAverage with `num_updates`), so the random initial weights fade out quickly.
   */
  constructor(
    readonly model: Model,
    readonly momentum: number,
    public updates = 0,
  ) {
    if (!(momentum > 0 && momentum < 1))
      throw new Error(`the moving average's momentum must be between 0 and 1 (exclusive), got ${momentum}`);
  }

  /** Starts an average at `source`'s current weights. */
  static of(source: Model, momentum: number): WeightAverage {
    const copy = cloneModel(source);
    copy.net.setWeights(source.net.getWeights());
    return new WeightAverage(copy, momentum);
  }

  /** Moves the average towards `source`'s current weights. */
  update(source: Model): void {
    const from = source.net.weights;
    const to = this.model.net.weights;
    if (from.length !== to.length)
      throw new Error(`the average holds ${to.length} weights, the source ${from.length}: not the same architecture`);
    tf.tidy(() => {
      // Host values and bookkeeping through core's step hooks, so a step traced into a graph repeats them each call.
      const [m] = hostTensors(() => [tf.scalar(Math.min(this.momentum, (1 + this.updates) / (10 + this.updates)))]);
      const rest = tf.sub(1, m!);
      to.forEach((w, i) => {
        const average = w.read() as Variable;
        average.assign(tf.add(tf.mul(average, m!), tf.mul(from[i]!.read(), rest)));
      });
    });
    afterEachCall(() => this.updates++);
  }
}
