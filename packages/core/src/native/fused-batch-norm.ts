/**
 * Batch normalisation while training as TensorFlow's one `FusedBatchNormV3` kernel (batch statistics, normalisation,
 * scale and offset in one pass), with `FusedBatchNormGradV3` as its gradient. tfjs composes the same from `moments`
 * and `batchNorm`, and differentiates that composition: about 30 small kernels per layer and step, forward and
 * backward. Keras's graph runs these two kernels.
 */
import type { NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { nativeBackend, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';
import { ShapeError } from '../errors/shape-error.js';

/** Whether the native backend is active (FusedBatchNormV3 is a stock TensorFlow kernel). */
export function fusedBatchNormAvailable(): boolean {
  return nativeBackend() !== null;
}

export interface FusedBatchNormResult {
  /** `(x − mean) / sqrt(variance + epsilon) · scale + offset`. */
  y: Tensor;
  /** The batch's mean and (biased, as tf.moments) variance per channel: for moving averages, not differentiable. */
  mean: Tensor;
  variance: Tensor;
}

/** The tfjs kernel running `FusedBatchNormV3` (training mode) on the native backend, its gradient registered beside it. */
const KERNEL = 'DlFusedBatchNormTraining';
let registered = false;

/**
 * Normalises NHWC `x` with its own batch statistics over every axis but the channels (the last), as Keras's
 * BatchNormalization while training; differentiable in `x`, `scale` and `offset`.
 */
export function fusedBatchNormTraining(x: Tensor, scale: Tensor, offset: Tensor, epsilon: number): FusedBatchNormResult {
  if (x.rank !== 4) throw new ShapeError(`fusedBatchNormTraining takes NHWC (rank 4) inputs, got shape ${JSON.stringify(x.shape)}`);
  if (!registered) register();
  const [y, mean, variance] = tf.engine().runKernel(KERNEL, { x, scale, offset }, { epsilon } as unknown as NamedAttrMap) as Tensor[];
  return { y: y!, mean: mean!, variance: variance! };
}

function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs }): TensorInfo[] => {
      const { x, scale, offset } = inputs as { x: Tensor; scale: Tensor; offset: Tensor };
      const backend = nativeBackend()!;
      const empty = tf.tensor1d([], 'float32');
      // Outputs: y, batch mean, batch variance (Bessel-corrected), then the mean and biased variance kept for the
      // gradient (reserve spaces 1 and 2; the third is empty on CPU).
      const [y, , corrected, mean, variance, reserve3] = runNativeOp(
        backend,
        'FusedBatchNormV3',
        batchNormAttrs(backend, attrs!['epsilon'] as number, true),
        [x, scale, offset, empty, empty],
        6,
      );
      tf.dispose([empty, corrected!, reserve3!]);
      return [y!, mean!, variance!];
    },
  });
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [false, true, true],
    // Only y's gradient flows back: the statistics feed the moving averages, outside any loss.
    gradFunc: (dys, saved, attrs) => {
      const backend = nativeBackend()!;
      const [x, scale, mean, variance] = saved as Tensor[];
      const dy = (Array.isArray(dys) ? dys[0] : dys) as Tensor;
      const empty = tf.tensor1d([], 'float32');
      const attrList = batchNormAttrs(backend, attrs['epsilon'] as number, false);
      const [dx, dScale, dOffset, ...unused] = runNativeOp(
        backend,
        'FusedBatchNormGradV3',
        attrList,
        [dy, x!, scale!, mean!, variance!, empty],
        5,
      );
      tf.dispose(unused);
      return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
    },
  });
}

function batchNormAttrs(backend: NativeBackend, epsilon: number, forward: boolean): OpAttr[] {
  const b = backend.binding;
  return [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'U', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
    ...(forward ? [{ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
}
