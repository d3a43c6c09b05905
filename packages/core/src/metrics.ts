import { tf } from './backend.js';
import type { Tensor, Scalar } from '@tensorflow/tfjs-core';
import { OptionError } from './errors/option-error.js';

/** A metric: its mean over a batch. */
export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Scalar;

/**
 * Keras's 'accuracy' resolved by the output's shape, as Keras does: class probabilities [n, k>1] against integer
 * labels compare the argmax; a single probability [n] or [n, 1] is thresholded at 0.5.
 */
export function accuracy(yTrue: Tensor, yPred: Tensor): Scalar {
  return tf.tidy((): Scalar => {
    const classes = yPred.shape[yPred.shape.length - 1] ?? 1;
    const predicted = classes > 1 && yPred.rank > 1 ? tf.argMax(yPred, -1) : tf.cast(tf.greater(yPred.flatten(), 0.5), 'int32');
    // Only the kernels needed: labels usually come as int32 [n] already.
    const flat = yTrue.rank === 1 ? yTrue : yTrue.flatten();
    const labels = flat.dtype === 'int32' ? flat : tf.cast(flat, 'int32');
    return tf.mean(tf.cast(tf.equal(predicted, labels), 'float32'));
  });
}

export const METRICS = { accuracy } as const;
export type MetricName = keyof typeof METRICS;

export function getMetric(metric: MetricName | MetricFn): { name: string; fn: MetricFn } {
  if (typeof metric === 'function') return { name: metric.name || 'metric', fn: metric };
  const fn = Object.hasOwn(METRICS, metric) ? METRICS[metric] : undefined;
  if (!fn) throw new OptionError(`unknown metric '${String(metric)}'; valid metrics: ${Object.keys(METRICS).join(', ')}`);
  return { name: metric, fn };
}
