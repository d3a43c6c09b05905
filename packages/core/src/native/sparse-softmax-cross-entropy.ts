/**
 * Sparse categorical cross-entropy from logits in one native call: TensorFlow's `SparseSoftmaxCrossEntropyWithLogits`
 * returns each sample's loss and its gradient (softmax − one-hot) together, where the probability-space loss takes
 * ~20 kernels forward and backward (one-hot, clip, log, products, sums and their gradients). It is what Keras runs for
 * a softmax output with this loss (it reads the softmax's logits); see training/softmax-logits.ts for the logits.
 */
import type { GradSaveFunc, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { floatTypeAttr, nativeBackend, runNativeOp } from './native-ops.js';
import { NativeError } from '../errors/native-error.js';
import { ShapeError } from '../errors/shape-error.js';

/** Whether `sparseSoftmaxCrossEntropyWithLogits` can run (the native backend is active). */
export function sparseSoftmaxCrossEntropyAvailable(): boolean {
  return nativeBackend() !== null;
}

/**
 * Per-sample cross-entropy `[n]` between integer labels (`[n]` or `[n, 1]`, any numeric dtype) and logits `[n, k]`,
 * differentiable with respect to the logits. Labels outside [0, k) are an error, as in Keras.
 */
export function sparseSoftmaxCrossEntropyWithLogits(labels: Tensor, logits: Tensor2D): Tensor1D {
  const backend = nativeBackend();
  if (backend == null)
    throw new NativeError(
      `sparseSoftmaxCrossEntropyWithLogits needs the native 'tensorflow' backend; the active backend is '${tf.getBackend()}'`,
    );
  if (logits.rank !== 2) throw new ShapeError(`sparseSoftmaxCrossEntropyWithLogits: logits must be [n, classes], got [${logits.shape}]`);
  return tf.tidy(() => {
    const flat = labels.rank === 1 ? labels : tf.reshape(labels, [-1]);
    const ids = flat.dtype === 'int32' ? flat : tf.cast(flat, 'int32');
    const op = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
      const [x, save] = args as [Tensor, GradSaveFunc];
      const [loss, backprop] = runNativeOp(
        backend,
        'SparseSoftmaxCrossEntropyWithLogits',
        [floatTypeAttr(backend), { name: 'Tlabels', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_INT32 }],
        [x, ids],
        2,
      ) as [Tensor1D, Tensor2D];
      save([backprop]);
      return {
        value: loss,
        // d loss_i / d logits_i = backprop_i, scaled by the incoming per-sample gradient.
        gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(saved[0]!, tf.reshape(dy, [-1, 1])),
      };
    });
    return op(logits) as Tensor1D;
  });
}
