import { join } from 'node:path';
import { LearningRateScheduler, type CompileOptions, type OptimizerConfig } from '@dl/core';
import { mnist, type NDArray } from '@dl/data';
import { dcganDiscriminator, dcganGenerator } from '../gan/dcgan.js';
import { GanModel, isGanSave, loadGan } from '../gan/gan-model.js';
import { SampleGrid } from '../gan/image-grid.js';
import type { LoadDataOptions, Preset, PresetData, Split } from '../preset.js';

/** DCGAN's optimizer for both networks: Adam with learning rate 2e-4 and β1 = 0.5. */
const ADAM: OptimizerConfig = { name: 'adam', learningRate: 2e-4, beta1: 0.5 };

function compileOptions(): CompileOptions {
  return { optimizer: ADAM };
}

function build(): GanModel {
  const model = new GanModel(dcganGenerator(), dcganDiscriminator());
  model.compile({ optimizer: ADAM });
  return model;
}

/** uint8 images [n, 28, 28] → float32 in [-1, 1] (the generator's tanh range), shape [n, 28, 28, 1]; labels kept. */
function toModelInput(images: NDArray<Uint8Array>, labels: NDArray<Uint8Array>, limit?: number): Split {
  const n = Math.min(limit ?? Infinity, images.shape[0]!);
  const pixels = images.data.subarray(0, n * 28 * 28);
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i]! / 127.5 - 1;
  return { x: { data: x, shape: [n, 28, 28, 1] }, y: { data: labels.data.subarray(0, n), shape: [n] } };
}

async function loadData(options: LoadDataOptions = {}): Promise<PresetData> {
  const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  return { train: toModelInput(xTrain, yTrain, options.limit), test: toModelInput(xTest, yTest) };
}

/**
 * `gan`: a DCGAN for MNIST digits, trained through core's `fit` with a custom `trainStep` that alternates one
 * discriminator and one generator update per batch (GanModel, gan/gan-model.ts); networks in gan/dcgan.ts.
 * The labels are loaded but unused (the GAN is unconditional); `evaluate` on the test split reports both losses.
 * A run folder holds `generator/` and `discriminator/` (TF.js layers models, each with its optimizer's state) and,
 * after every epoch, `samples/epoch-NNN.png`: a grid of the samples of one fixed latent batch.
 */
export const gan: Preset = {
  name: 'gan',
  description: 'DCGAN for MNIST digits: a transposed-conv generator (latent 100 → 28×28) against a conv discriminator',
  dataset: 'mnist',
  defaults: { epochs: 10, batchSize: 64, learningRate: ADAM.learningRate! },
  compileOptions,
  build,
  loadData,
  callbacks: ({ outDir, learningRate = ADAM.learningRate! }) => [
    new LearningRateScheduler(() => learningRate),
    ...(outDir === undefined ? [] : [new SampleGrid({ dir: join(outDir, 'samples') })]),
  ],
  load: async (dir) => (isGanSave(dir) ? loadGan(dir) : undefined),
};
