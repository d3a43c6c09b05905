import { tf } from './backend.js';
import type { Tensor, Scalar } from '@tensorflow/tfjs';

/** A loss: mean over the batch of a per-sample loss. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Scalar;

/** Keeps log() finite on probabilities of exactly 0 or 1, as Keras's backend epsilon does. */
const EPSILON = 1e-7;

/** Cross-entropy between integer labels `yTrue` ([n] or [n, 1]) and predicted class probabilities `yPred` ([n, classes]). */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor): Scalar {
  return tf.tidy((): Scalar => {
    const classes = yPred.shape[yPred.shape.length - 1] ?? 1;
    const labels = tf.oneHot(tf.cast(yTrue.flatten(), 'int32'), classes);
    const logP = tf.log(tf.clipByValue(yPred, EPSILON, 1 - EPSILON));
    return tf.neg(tf.mean<Scalar>(tf.sum(tf.mul(labels, logP), -1)));
  });
}

/** Cross-entropy between 0/1 labels and predicted probabilities of the positive class. */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor): Scalar {
  return tf.tidy((): Scalar => {
    const p = tf.clipByValue(yPred.flatten(), EPSILON, 1 - EPSILON);
    const y = tf.cast(yTrue.flatten(), 'float32');
    return tf.neg(tf.mean<Scalar>(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))));
  });
}

export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Scalar {
  return tf.tidy((): Scalar => tf.mean(tf.squaredDifference(tf.cast(yTrue, 'float32').reshape(yPred.shape), yPred)));
}

export const LOSSES = { sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError } as const;
export type LossName = keyof typeof LOSSES;

export function getLoss(loss: LossName | LossFn): LossFn {
  if (typeof loss === 'function') return loss;
  const fn = Object.hasOwn(LOSSES, loss) ? LOSSES[loss] : undefined;
  if (!fn) throw new Error(`unknown loss '${String(loss)}'; valid losses: ${Object.keys(LOSSES).join(', ')}`);
  return fn;
}
