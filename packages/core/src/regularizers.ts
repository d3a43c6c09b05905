/**
 * Weight regularizers under Keras names — `l1(0.01)`, `l2(0.01)`, `l1l2({ l1, l2 })` — for a layer's
 * `kernelRegularizer` / `biasRegularizer` (e.g. `dense({ units: 64, kernelRegularizer: l2(1e-4) })`).
 * Each adds `factor · Σ|w|` (l1) or `factor · Σw²` (l2) over the weight to the model's losses (`net.calculateLosses()`).
 * They are tfjs `L1L2` instances, so they are saved with the model and restored by `loadModel`.
 * The training loop adds their penalties to the loss it minimizes; a custom `trainStep` can add `regularizationLoss(net)`.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import type { Scalar } from '@tensorflow/tfjs-core';
import { tf } from './backend.js';
import type { Network, Regularizer } from './layer-types.js';
import { tfl } from './tfjs-layers-api.js';
import { OptionError } from './errors/option-error.js';

export type { Regularizer };

export interface L1L2Options {
  /** L1 factor. Default 0.01, as Keras's `l1_l2`. */
  l1?: number;
  /** L2 factor. Default 0.01, as Keras's `l1_l2`. */
  l2?: number;
}

/** L1 penalty `l1 · Σ|w|` (Keras `regularizers.l1`, default 0.01). */
export function l1(l1 = 0.01): Regularizer {
  return tfl.regularizers.l1({ l1: factor(l1, 'l1') });
}

/** L2 penalty `l2 · Σw²` (Keras `regularizers.l2`, default 0.01). */
export function l2(l2 = 0.01): Regularizer {
  return tfl.regularizers.l2({ l2: factor(l2, 'l2') });
}

/** Both penalties, `l1 · Σ|w| + l2 · Σw²` (Keras `regularizers.l1_l2`, defaults 0.01 each). */
export function l1l2(options: L1L2Options = {}): Regularizer {
  const { l1 = 0.01, l2 = 0.01 } = options;
  return tfl.regularizers.l1l2({ l1: factor(l1, 'l1'), l2: factor(l2, 'l2') });
}

function factor(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new OptionError(`regularizer factor ${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

/**
 * The sum of `net`'s regularization penalties (`net.calculateLosses()`), or `undefined` when no layer has a
 * regularizer. Call it inside the function given to `optimizer.minimize`, so the penalties' gradients are taken.
 * A tfjs Sequential reports no losses until it is built, so an unbuilt one is built first.
 */
export function regularizationLoss(network: Network): Scalar | undefined {
  const net = network as unknown as LayersModel;
  if (net instanceof tfl.Sequential && !net.built) net.build();
  const losses = net.calculateLosses();
  if (losses.length === 0) return undefined;
  if (losses.length === 1) return losses[0]!;
  const total = tf.addN(losses) as Scalar;
  tf.dispose(losses);
  return total;
}
