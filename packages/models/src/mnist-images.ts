import { mnist, type NDArray } from '@dl/data';
import type { LoadDataOptions, PresetData, Split } from './preset.js';

/**
 * MNIST for the image presets: uint8 images [n, 28, 28] → float32 [n, 28, 28, 1] with pixel values mapped linearly from
 * 0–255 onto `range` ([0, 1] for the classifier, [-1, 1] for a tanh generator's discriminator); labels as they are.
 * `options.limit` keeps the first N training images.
 */
export async function loadMnistImages(options: LoadDataOptions, range: readonly [number, number]): Promise<PresetData> {
  const { limit, ...source } = options;
  const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData(source);
  return { train: toModelInput(xTrain, yTrain, range, limit), test: toModelInput(xTest, yTest, range) };
}

function toModelInput(
  images: NDArray<Uint8Array>,
  labels: NDArray<Uint8Array>,
  [lo, hi]: readonly [number, number],
  limit?: number,
): Split {
  const n = Math.min(limit ?? Infinity, images.shape[0]!);
  const pixels = images.data.subarray(0, n * 28 * 28);
  const x = new Float32Array(pixels.length);
  // (p·(hi − lo)) / 255 rather than p·((hi − lo) / 255): exactly p / 255 for [0, 1], and p / 127.5 − 1 for [-1, 1].
  for (let i = 0; i < pixels.length; i++) x[i] = lo + (pixels[i]! * (hi - lo)) / 255;
  return { x: { data: x, shape: [n, 28, 28, 1] }, y: { data: labels.data.subarray(0, n), shape: [n] } };
}
