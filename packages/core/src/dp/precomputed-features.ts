/**
 * Fixed leading layers computed once instead of in every DP step. A layer that declares `precomputable` (deterministic,
 * weight-free, the same at training and inference: the scattering transform) at the front of a DP-trained network
 * turns every example into the same features at every step, so `fit` with a DP optimizer computes them once over the
 * training array and its steps start after them. Privacy is unchanged — the features are a fixed function of each
 * example, computed before any noise is drawn, and the steps see each example's features exactly as the layers would
 * have produced them — and the saved model still holds the layers, so it takes raw inputs as any other.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { Layer } from '../layer-types.js';

/** Rows computed per call: bounds the transform's intermediate tensors (~0.5 GB for the scattering at 1,024). */
const CHUNK = 1024;

/** How many leading layers of `layers` can be precomputed (at most all but the last, which the DP step needs). */
export function precomputableCount(layers: Layer[]): number {
  let n = 0;
  while (
    n < layers.length - 1 &&
    (layers[n] as unknown as { precomputable?: boolean }).precomputable === true &&
    layers[n]!.weights.length === 0
  )
    n++;
  return n;
}

/** `layers` applied to every row of `x`, in chunks, as one tensor (the caller disposes it). */
export function precomputeFeatures(layers: Layer[], x: Tensor): Tensor {
  const rows = x.shape[0]!;
  const chunks: Tensor[] = [];
  try {
    for (let start = 0; start < rows; start += CHUNK) {
      chunks.push(
        tf.tidy(() => {
          let h = tf.slice(x, start, Math.min(CHUNK, rows - start));
          for (const layer of layers) h = layer.apply(h, { training: false }) as Tensor;
          return h;
        }),
      );
    }
    return tf.concat(chunks, 0);
  } finally {
    tf.dispose(chunks);
  }
}
