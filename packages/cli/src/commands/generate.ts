import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { loadModel, makeFolder, opSeed, tf, writeFileAtomic } from '@dl/core';
import { GENERATOR_DIR, isGanSave, samplingGeneratorDir, writeImageGrid } from '@dl/models';
import { dump as encodeNpy } from 'npyjs';
import { makeOutput } from '../output.js';
import { requireNewFile } from '../new-file.js';
import { UsageError } from '../usage-error.js';

export interface GenerateCommandOptions {
  n?: number;
  seed?: number;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

const FORMATS = ['.png', '.json', '.npy'] as const;

/**
 * Most samples one `dl generate` writes. 10,000 is what Inception Score and FID are computed on (and the size of MNIST's
 * test split); the output is held whole before it is written, and `.json` takes ~12 bytes per pixel, so 100,000 samples
 * took minutes and 4 GB of memory with no output. More samples: run again with other --seed values.
 */
export const MAX_GENERATE_N = 10_000;

/**
 * `dl generate DIR --out FILE`: samples from a trained GAN's generator (the moving average `DIR/generator-ema/` when the
 * run kept one, else `DIR/generator/`; or DIR itself when it is a generator's folder). By the extension of FILE:
 * `.png`, a grid of the images; `.json`, `{ shape, range, data }` with `data` the nested `[n][28][28][1]` array of the
 * raw samples; `.npy`, the raw samples as a float32 numpy array of shape `[n, 28, 28, 1]`. Raw samples are the
 * generator's tanh output, in [-1, 1].
 */
export async function generate(dir: string, options: GenerateCommandOptions): Promise<void> {
  if (options.n !== undefined && options.n > MAX_GENERATE_N) {
    throw new UsageError(
      `--n ${options.n} is over the limit of ${MAX_GENERATE_N.toLocaleString('en-US')} samples per run (the output is held in memory whole): ` +
        'generate at most that many, and run again with another --seed for more',
    );
  }
  if (options.out === undefined) throw new UsageError('--out FILE is required: a .png grid, or the raw samples as .json or .npy');
  const path = resolve(options.out);
  const format = extname(path).toLowerCase() as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--out ${options.out}: the file must end in ${FORMATS.join(', ')}`);
  requireNewFile('--out', path);
  const runDir = resolve(dir);
  const generatorDir = isGanSave(runDir) ? samplingGeneratorDir(runDir) : runDir;
  if (!existsSync(join(generatorDir, 'model.json'))) {
    throw new UsageError(
      `${join(runDir, GENERATOR_DIR, 'model.json')} not found: DIR must be a folder written by \`dl train gan\` (e.g. runs/gan-…)`,
    );
  }
  const out = makeOutput(options);
  const generator = await loadModel(generatorDir);
  const inputShape = generator.net.inputs[0]!.shape;
  if (generator.net.inputs.length !== 1 || inputShape.length !== 2 || typeof inputShape[1] !== 'number') {
    throw new UsageError(`${generatorDir} is not a generator: it takes ${JSON.stringify(inputShape)}, not latent vectors [null, size]`);
  }
  const n = options.n ?? 64;
  // The generator runs in batches of 256 (predict's batchSize), so only the latent vectors and the output are whole.
  const images = tf.tidy(() =>
    generator.predict(tf.randomNormal([n, inputShape[1] as number], 0, 1, 'float32', opSeed(options.seed)), { batchSize: 256 }),
  );
  try {
    await makeFolder(dirname(path));
    if (format === '.png') await writeImageGrid(path, images);
    else if (format === '.npy')
      await writeFileAtomic(path, new Uint8Array(encodeNpy(images.dataSync() as Float32Array, images.shape, { dtype: 'f4' })));
    else await writeFileAtomic(path, JSON.stringify({ shape: images.shape, range: [-1, 1], data: images.arraySync() }));
  } finally {
    images.dispose();
  }
  out.info(`Wrote ${n} samples of ${generatorDir} to ${path}`);
  out.json({ out: path, n, format: format.slice(1), shape: [n, ...generator.net.outputs[0]!.shape.slice(1)] });
}
