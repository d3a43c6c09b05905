import { tf } from './backend.js';
import type { Tensor } from '@tensorflow/tfjs-core';
import { OptionError } from './errors/option-error.js';

/**
 * A loss, as Keras's loss functions: per-sample values of shape [n]. The model weights them (class weights) and
 * averages over the batch. A function returning a scalar is used as the batch loss as it is.
 */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Keeps log() finite on probabilities of exactly 0 or 1, as Keras's backend epsilon does. */
const EPSILON = 1e-7;

/** Cross-entropy between integer labels `yTrue` ([n] or [n, 1]) and class probabilities `yPred` ([n, classes]); [n]. */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  return tf.tidy(() => {
    const classes = yPred.shape[yPred.shape.length - 1] ?? 1;
    const labels = tf.oneHot(tf.cast(yTrue.flatten(), 'int32'), classes);
    const logP = tf.log(tf.clipByValue(yPred, EPSILON, 1 - EPSILON));
    return tf.neg(tf.sum(tf.mul(labels, logP), -1));
  });
}

/** Cross-entropy between 0/1 labels and probabilities of the positive class ([n] or [n, k], averaged over k); [n]. */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  return tf.tidy(() => {
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    const y = tf.cast(yTrue, 'float32').reshape(p.shape);
    const perElement = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
    return perSample(perElement);
  });
}

/** Squared error averaged over each sample's values; [n]. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  return tf.tidy(() => perSample(tf.squaredDifference(tf.cast(yTrue, 'float32').reshape(yPred.shape), yPred)));
}

/** Mean over all axes but the batch axis. */
function perSample(t: Tensor): Tensor {
  return t.rank <= 1
    ? t
    : tf.mean(
        t,
        Array.from({ length: t.rank - 1 }, (_, i) => i + 1),
      );
}

export const LOSSES = { sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError } as const;
export type LossName = keyof typeof LOSSES;

export function getLoss(loss: LossName | LossFn): LossFn {
  if (typeof loss === 'function') return loss;
  const fn = Object.hasOwn(LOSSES, loss) ? LOSSES[loss] : undefined;
  if (!fn) throw new OptionError(`unknown loss '${String(loss)}'; valid losses: ${Object.keys(LOSSES).join(', ')}`);
  return fn;
}
