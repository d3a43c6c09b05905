/**
 * TensorFlow's `Conv2DBackpropInput`: a 2-D convolution's gradient with respect to its input, which is also a transposed
 * convolution's forward pass. With oneDNN on (TensorFlow's default on x86), a graph or eager rewrite runs it as
 * `_MklNativeConv2DBackpropInput`, which takes 1.4–3.4× as long as TensorFlow's Eigen kernel when the result has 1–4
 * channels — a GAN generator's last layer, a discriminator's input gradient, any gradient with respect to an image
 * (bench/conv-input-gradient.py, AMD EPYC; at 8 channels either may win, at 16 oneDNN is up to 3× faster). The rewrite takes only SAME
 * and VALID padding, so the same padding given as EXPLICIT numbers keeps the Eigen kernel. Same sums, in another order:
 * equal within float32 rounding.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { convAttrs, explicitPaddings, type ConvGeometry } from './conv-attrs.js';
import { runNativeOp, type NativeBackend } from './native-ops.js';

/** Results with at most this many channels take TensorFlow's Eigen kernel (see above). */
export const EIGEN_MAX_CHANNELS = 4;

/** Calls that took each kernel, for tests and benchmarks to confirm which one ran. */
export const convInputGradientCalls = { eigen: 0, oneDnn: 0 };

/**
 * The gradient with respect to the NHWC input of shape `inputShape` of a convolution by `filter` (`[h, w, in, out]`),
 * given `dy`, the gradient with respect to its output.
 */
export function convInputGradient(
  backend: NativeBackend,
  dy: Tensor,
  filter: Tensor,
  inputShape: number[],
  geometry: ConvGeometry,
): Tensor4D {
  const eigen = inputShape[3]! <= EIGEN_MAX_CHANNELS;
  convInputGradientCalls[eigen ? 'eigen' : 'oneDnn']++;
  const attrs = convAttrs(backend, geometry, eigen ? explicitPaddings(inputShape, filter.shape, geometry) : undefined);
  return tf.tidy(() => runNativeOp(backend, 'Conv2DBackpropInput', attrs, [tf.tensor1d(inputShape, 'int32'), filter, dy])[0] as Tensor4D);
}
