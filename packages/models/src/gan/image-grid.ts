/**
 * Sample grids: a batch of images tiled into one picture and encoded as PNG by TensorFlow's native encoder
 * (`tf.node.encodePng` of @tensorflow/tfjs-node), plus the callback that writes one grid per epoch from a fixed batch of
 * latent vectors, so the grids of successive epochs show the same samples improving.
 */
import { dirname, join } from 'node:path';
import { Callback, makeFolder, tf, writeFileAtomic, type Tensor } from '@dl/core';
import { GanModel } from './gan-model.js';

type Tensor3D = ReturnType<typeof tf.tensor3d>;

export interface GridOptions {
  /** Images per row. Default: ⌈√n⌉, a square grid. */
  columns?: number;
  /** Pixels between images and around the grid. Default 2. */
  padding?: number;
  /** The pixel range of the images, mapped to 0–255. Default [-1, 1] (a tanh generator's output). */
  range?: [number, number];
  /** Grey level (0–255) of the padding. Default 128, so the black backgrounds of MNIST digits stay apart. */
  background?: number;
}

/** Tiles `images` (`[n, h, w, channels]`) into one `[rows·(h+p)+p, columns·(w+p)+p, channels]` uint8-valued int32 image. */
export function imageGrid(images: Tensor, options: GridOptions = {}): Tensor3D {
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const columns = options.columns ?? Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const p = options.padding ?? 2;
  const [lo, hi] = options.range ?? [-1, 1];
  const background = options.background ?? 128;
  return tf.tidy(() => {
    let pixels = images
      .sub(lo)
      .mul(255 / (hi - lo))
      .round()
      .clipByValue(0, 255);
    const missing = rows * columns - n;
    if (missing > 0) pixels = tf.concat([pixels, tf.fill([missing, h, w, c], background)]);
    // Each image gets its padding on the top and left; the grid gets one more row and column at the bottom and right.
    const cells = tf.pad(
      pixels,
      [
        [0, 0],
        [p, 0],
        [p, 0],
        [0, 0],
      ],
      background,
    );
    const tiled = cells
      .reshape([rows, columns, h + p, w + p, c])
      .transpose([0, 2, 1, 3, 4])
      .reshape([rows * (h + p), columns * (w + p), c]);
    return tf
      .pad(
        tiled,
        [
          [0, p],
          [0, p],
          [0, 0],
        ],
        background,
      )
      .toInt() as Tensor3D;
  });
}

/** PNG bytes of an `[h, w, 1|3|4]` image of 0–255 values, by tfjs-node's native encoder. */
export async function encodePng(image: Tensor3D): Promise<Uint8Array> {
  const node = (tf as unknown as { node?: { encodePng(image: Tensor3D, compression?: number): Promise<Uint8Array> } }).node;
  if (!node) throw new Error('PNG encoding needs the native TensorFlow backend (@tensorflow/tfjs-node); see `dl info`');
  return node.encodePng(image);
}

/** Writes `images` as one PNG grid to `path` (atomically: a temporary file, then a rename). */
export async function writeImageGrid(path: string, images: Tensor, options: GridOptions = {}): Promise<void> {
  const grid = imageGrid(images, options);
  try {
    const png = await encodePng(grid);
    await makeFolder(dirname(path));
    await writeFileAtomic(path, png);
  } finally {
    grid.dispose();
  }
}

export interface SampleGridOptions {
  /** Folder of the grids: `epoch-001.png`, `epoch-002.png`, … */
  dir: string;
  /** Samples per grid. Default 64 (8 × 8). */
  count?: number;
  /** Seed of the fixed latent batch: the same for every epoch and every run (a resumed one too). Default 42. */
  seed?: number;
}

/** After every epoch, a grid of a GanModel's samples from one fixed latent batch: `dir/epoch-NNN.png` (epochs from 1). */
export class SampleGrid extends Callback {
  private readonly count: number;
  private readonly seed: number;

  constructor(private readonly options: SampleGridOptions) {
    super();
    this.count = options.count ?? 64;
    this.seed = options.seed ?? 42;
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    if (!(this.model instanceof GanModel)) throw new Error('SampleGrid: the model is not a GanModel');
    const images = this.model.generate(this.count, { seed: this.seed });
    try {
      await writeImageGrid(join(this.options.dir, `epoch-${String(epoch + 1).padStart(3, '0')}.png`), images);
    } finally {
      images.dispose();
    }
  }
}
