/**
 * The orthogonal initializer (an LSTM's default for its recurrent kernel) with TensorFlow's `Qr` kernel, as Keras
 * computes it, instead of tfjs's QR: tfjs decomposes the matrix in JavaScript, a few hundred small TensorFlow ops over
 * shrinking slices, and those shapes' one-time kernel setup left ~90 MB more in the process's RSS for one 256×64
 * matrix (the lstm preset's), measured — the largest part of the lstm preset's peak RSS above Keras's.
 *
 * Same computation as tfjs's `Orthogonal.apply` otherwise (the same seeded normal matrix, Q's columns signed by R's
 * diagonal, the gain), so the values equal tfjs's to float32 rounding; the initializer keeps its class and config.
 * Only the instance handed in changes, and only on the native backend.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { nativeBackend, runNativeOp } from './native-ops.js';

interface OrthogonalLike {
  getClassName(): string;
  apply(shape: number[], dtype?: string): Tensor;
  gain: number;
  seed?: number;
}

/** Makes `initializer` (if tfjs's Orthogonal) compute its QR with TensorFlow's kernel on the native backend. */
export function useNativeOrthogonal(initializer: unknown): void {
  const init = initializer as OrthogonalLike | null | undefined;
  if (init == null || typeof init.getClassName !== 'function' || init.getClassName() !== 'Orthogonal') return;
  const original = init.apply.bind(init);
  init.apply = (shape: number[], dtype?: string): Tensor => {
    const backend = nativeBackend();
    if (backend == null || shape.length < 2 || (dtype !== undefined && dtype !== 'float32')) return original(shape, dtype);
    return tf.tidy(() => {
      const numRows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const numCols = shape[shape.length - 1]!;
      const k = Math.min(numCols, numRows);
      const random = tf.randomNormal([Math.max(numCols, numRows), k], 0, 1, 'float32', init.seed);
      const fullMatrices = { name: 'full_matrices', type: backend.binding.TF_ATTR_BOOL, value: false };
      const [q, r] = runNativeOp(
        backend,
        'Qr',
        [{ name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT }, fullMatrices],
        [random],
        2,
      ) as [Tensor, Tensor];
      // Make Q unique: each column's sign follows R's diagonal (as tfjs and Keras do).
      let qMat = tf.mul(q, tf.sign(tf.stridedSlice(tf.reshape(r, [-1]), [0], [k * k], [k + 1])));
      if (numRows < numCols) qMat = tf.transpose(qMat);
      return tf.mul(tf.scalar(init.gain), tf.reshape(qMat, shape));
    });
  };
}
