/**
 * Dropout with its random numbers from TensorFlow's stateless Philox kernels. tfjs draws dropout's uniform numbers in
 * JavaScript, one at a time (≈ 7–9 ms for the 800 k values of a `[64, 14, 14, 64]` activation, more than the
 * convolution before it); the native kernels fill them in a fraction of that. Their two seeds come from
 * `Math.random`, which `setSeed` seeds, so runs stay reproducible.
 */
import type { GradSaveFunc, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { hostTensors } from '../graph/step-hooks.js';
import { floatTypeAttr, nativeBackend, runNativeOp, type NativeBackend } from './native-ops.js';
import { NativeError } from '../errors/native-error.js';
import { OptionError } from '../errors/option-error.js';

/** Whether the native backend is active (StatelessRandomUniform is a stock TensorFlow kernel). */
export function nativeDropoutAvailable(): boolean {
  return nativeBackend() !== null;
}

/**
 * `x` with a `rate` fraction of its entries zeroed and the rest scaled by 1/(1 − rate), as `tf.dropout`; one mask of
 * `noiseShape` (default `x.shape`) broadcast over `x`. Differentiable in `x` (the gradient is the same mask).
 *
 * Keras's mask (`tf.nn.experimental.stateless_dropout`): keep where a uniform float is ≥ rate, 32 random bits a value.
 * Here 16 bits decide a value when the rate is a multiple of 2⁻¹⁶ to within 0.01% of itself (0.1, 0.2, 0.25, 0.3, 0.5,
 * …; 0.3 keeps with probability 0.699997 instead of 0.7): half the Philox work, which is most of a mask's cost (≈ 35%
 * less time for the 800 k values above). Other rates take Keras's way. A custom gradient, so the backward pass keeps
 * only the mask, as a bool (a quarter of a float mask), and an eager step (a traced one) frees the random numbers at
 * once instead of holding them to the end of the step.
 */
export function nativeDropout(x: Tensor, rate: number, noiseShape: number[] = x.shape): Tensor {
  const backend = nativeBackend();
  if (backend === null) throw new NativeError(`nativeDropout needs the 'tensorflow' backend, not '${tf.getBackend()}'`);
  if (!(rate > 0 && rate < 1)) throw new OptionError(`dropout rate must be in (0, 1), got ${rate}`);
  const scale = 1 / (1 - rate);
  // SelectV2 broadcasts the mask over `t` and the scalar zero.
  const masked = (keep: Tensor, t: Tensor) =>
    runNativeOp(backend, 'SelectV2', [floatTypeAttr(backend)], [keep, tf.mul(t, scale), tf.scalar(0)])[0]!;
  const dropout = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const [input, save] = args as [Tensor, GradSaveFunc];
    const keep = keepMask(backend, noiseShape, rate);
    save([keep]);
    return { value: masked(keep, input), gradFunc: (dy: Tensor, [saved]: Tensor[]) => masked(saved!, dy) };
  });
  return dropout(x);
}

/** A bool mask of `shape`, true with probability 1 − `rate`. */
function keepMask(backend: NativeBackend, shape: number[], rate: number): Tensor {
  const threshold = Math.round(rate * 2 ** 16);
  if (Math.abs(threshold - rate * 2 ** 16) > 1e-4 * Math.min(rate, 1 - rate) * 2 ** 16) {
    return tf.greaterEqual(philox(backend, 'StatelessRandomUniform', 'float32', shape), rate);
  }
  // Each uniform int32 r holds two independent 16-bit halves: the high one decides `r ≥ c`, the low one the same
  // comparison of `r << 16` (c's low 16 bits are zero). Both hold with probability 1 − threshold / 2¹⁶.
  const size = shape.reduce((a, b) => a * b, 1);
  const bits = philox(backend, 'StatelessRandomUniformFullInt', 'int32', [Math.ceil(size / 2)]);
  const { TF_ATTR_TYPE, TF_INT32 } = backend.binding;
  const [low] = runNativeOp(backend, 'LeftShift', [{ name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 }], [bits, tf.scalar(16, 'int32')]);
  const c = tf.scalar(threshold * 2 ** 16 - 2 ** 31, 'int32');
  // Compared before they are joined: the concat then moves bytes, not int32s.
  const keep = tf.concat([tf.greaterEqual(bits, c), tf.greaterEqual(low!, c)]);
  return (keep.size === size ? keep : keep.slice(0, size)).reshape(shape);
}

/** A stateless Philox kernel's values of `shape` (`dtype` float32: uniform in [0, 1); int32: every int32), new seeds. */
function philox(backend: NativeBackend, op: string, dtype: 'float32' | 'int32', shape: number[]): Tensor {
  const { TF_ATTR_TYPE, TF_FLOAT, TF_INT32 } = backend.binding;
  // A host value: a traced step (graph/) takes new seeds at every call.
  const [seed] = hostTensors(() => [tf.tensor1d([seedInt(), seedInt()], 'int32')]);
  const attrs = [
    { name: 'dtype', type: TF_ATTR_TYPE, value: dtype === 'float32' ? TF_FLOAT : TF_INT32 },
    { name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 },
    { name: 'Tseed', type: TF_ATTR_TYPE, value: TF_INT32 },
  ];
  return runNativeOp(backend, op, attrs, [tf.tensor1d(shape, 'int32'), seed!])[0]!;
}

function seedInt(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
