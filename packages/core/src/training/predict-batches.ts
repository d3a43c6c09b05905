/**
 * `predict`'s batches: the inputs' rows in order, `batchSize` at a time (the last batch may be smaller).
 *
 * One Split op cuts up to SPLIT_BATCHES batches, where a Slice per batch was 4–5% slower over a whole `predict` of the
 * cnn preset (60 batches of 256, native backend, in-process A/B alternating the two). Chunks bound what a Split holds at
 * once when it copies: TensorFlow shares the input's buffer when a row's bytes are a multiple of 64, and copies
 * otherwise (e.g. 200 int32 word ids), so a whole-array Split would duplicate a large input.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';

export const SPLIT_BATCHES = 32;

/**
 * Yields each batch as one tensor per input. A batch is valid until the next is asked for (or the loop ends), when
 * this disposes it; an input that fits in one batch is yielded itself.
 */
export function* predictBatches(xs: Tensor[], batchSize: number): Generator<Tensor[]> {
  const n = xs[0]!.shape[0]!;
  if (n <= batchSize) {
    yield xs;
    return;
  }
  const chunkRows = batchSize * SPLIT_BATCHES;
  for (let first = 0; first < n; first += chunkRows) {
    const rows = Math.min(chunkRows, n - first);
    const sizes = Array.from({ length: Math.ceil(rows / batchSize) }, (_, k) => Math.min(batchSize, rows - k * batchSize));
    const parts = xs.map((t) => tf.tidy(() => tf.split(rows === n ? t : tf.slice(t, first, rows), sizes)));
    try {
      for (let k = 0; k < sizes.length; k++) yield parts.map((p) => p[k]!);
    } finally {
      tf.dispose(parts.flat());
    }
  }
}
