/**
 * Dropout with its random numbers from TensorFlow's `StatelessRandomUniform` kernel. tfjs draws dropout's uniform
 * numbers in JavaScript, one at a time (≈ 7–9 ms for the 800 k values of a `[64, 14, 14, 64]` activation, more than
 * the convolution before it); the native kernel fills them in a fraction of that. Its two seeds come from
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
 * Keras's mask (`tf.nn.experimental.stateless_dropout`): keep where a uniform number is ≥ rate. A custom gradient, so
 * the backward pass keeps only the mask, as a bool (a quarter of a float mask), and an eager step (a traced one)
 * frees the uniform numbers at once instead of holding them to the end of the step.
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
    const keep = tf.greaterEqual(uniform(backend, noiseShape), rate);
    save([keep]);
    return { value: masked(keep, input), gradFunc: (dy: Tensor, [saved]: Tensor[]) => masked(saved!, dy) };
  });
  return dropout(x);
}

/** Uniform numbers in [0, 1) of `shape`. */
function uniform(backend: NativeBackend, shape: number[]): Tensor {
  const { TF_ATTR_TYPE, TF_FLOAT, TF_INT32 } = backend.binding;
  // A host value: a traced step (graph/) takes new seeds at every call.
  const [seed] = hostTensors(() => [tf.tensor1d([seedInt(), seedInt()], 'int32')]);
  const attrs = [
    { name: 'dtype', type: TF_ATTR_TYPE, value: TF_FLOAT },
    { name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 },
    { name: 'Tseed', type: TF_ATTR_TYPE, value: TF_INT32 },
  ];
  return runNativeOp(backend, 'StatelessRandomUniform', attrs, [tf.tensor1d(shape, 'int32'), seed!])[0]!;
}

function seedInt(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
