/**
 * A DCGAN that learns to draw MNIST digits: Keras's "DCGAN by overriding train_step", in TypeScript with dl.
 *
 * Run from the repo root (after `pnpm install`):
 *
 *   pnpm --filter dl-examples mnist-gan               # 1 epoch: blurry but digit-like strokes
 *   EPOCHS=14 pnpm --filter dl-examples mnist-gan     # the `gan` preset's recipe (about 26 min on 2 cores)
 *   LIMIT=6000 pnpm --filter dl-examples mnist-gan    # the first 6,000 images only, for a quick try
 *
 * (`npx tsx examples/mnist-gan.ts` works too.) It writes a grid of samples after every epoch to
 * `$OUT/samples/epoch-NNN.png` (OUT defaults to a folder in the system's temp dir), saves both networks, and ends by
 * scoring 10,000 samples against 10,000 real test digits with an MNIST classifier. The same networks and recipe ship as
 * the `gan` preset of @dl/models (`dl train gan`, `dl generate`, `dl evaluate`).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendInfo, layers, sequential, setSeed, type ShapedArray } from '@dl/core';
import { mnist } from '@dl/data';
import { cnn, evaluateMnistGenerator, GanModel, loadGan, mnistClassifier, SampleGrid, writeImageGrid } from '@dl/models';

const EPOCHS = positiveInt(process.env['EPOCHS'], 1);
const LIMIT = positiveInt(process.env['LIMIT'], Infinity);
const BATCH_SIZE = 32;
const LATENT_DIM = 100;
const OUT = process.env['OUT'] ?? join(tmpdir(), 'dl-examples', 'mnist-gan');

setSeed(42);
console.log(`backend: ${backendInfo().backend}`); // 'tensorflow' = native kernels

// 1. Data: the training digits, scaled from 0–255 to [-1, 1] (the range of the generator's tanh), as [n, 28, 28, 1].
//    The labels are not needed: this GAN is unconditional.
const [[trainImages]] = await mnist.loadData();
const n = Math.min(LIMIT, trainImages.shape[0]!);
const images: ShapedArray = {
  data: Float32Array.from(trainImages.data.subarray(0, n * 28 * 28), (pixel) => pixel / 127.5 - 1),
  shape: [n, 28, 28, 1],
};

// 2. The generator: a latent vector → a 7×7×192 seed → two transposed convolutions that double the size → 28×28×1.
//    Batch normalisation after the hidden layers (which therefore need no bias), tanh at the end. 4×4 kernels, a
//    multiple of the stride, so no checkerboard pattern.
const generator = sequential(
  [
    layers.dense({ units: 7 * 7 * 192, useBias: false, inputShape: [LATENT_DIM] }),
    layers.batchNormalization(),
    layers.leakyReLU({ alpha: 0.2 }),
    layers.reshape({ targetShape: [7, 7, 192] }),
    layers.conv2dTranspose({ filters: 96, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
    layers.batchNormalization(),
    layers.leakyReLU({ alpha: 0.2 }),
    layers.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }),
  ],
  { name: 'generator' },
);

// 3. The discriminator: strided convolutions halve the size twice; one logit says "real" (> 0) or "generated" (< 0).
const discriminator = sequential(
  [
    layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', inputShape: [28, 28, 1] }),
    layers.leakyReLU({ alpha: 0.2 }),
    layers.dropout({ rate: 0.3 }),
    layers.conv2d({ filters: 128, kernelSize: 5, strides: 2, padding: 'same' }),
    layers.leakyReLU({ alpha: 0.2 }),
    layers.dropout({ rate: 0.3 }),
    layers.flatten(),
    layers.dense({ units: 1 }),
  ],
  { name: 'discriminator' },
);

// 4. GanModel overrides Model.trainStep: per batch of real images, one generator update (make the discriminator say 1)
//    then one discriminator update (real → 1, those generated images → 0); each network has its own Adam (2e-4, β1 0.5).
//    emaMomentum keeps a moving average of the generator's weights, which draws cleaner digits than the last step's.
const gan = new GanModel(generator, discriminator, { emaMomentum: 0.999 });
gan.compile({ optimizer: { name: 'adam', learningRate: 2e-4, beta1: 0.5 } });
gan.summary();

// 5. Train with fit: progress bar, History and callbacks as for any model. SampleGrid draws the same 64 latent vectors
//    after every epoch, so the grids show the generator learning.
const history = await gan.fit(images, {
  epochs: EPOCHS,
  batchSize: BATCH_SIZE,
  callbacks: [new SampleGrid({ dir: join(OUT, 'samples') })],
});
console.log('d_loss per epoch:', history.history['d_loss']?.map((v) => v.toFixed(3)).join(', '));
console.log('g_loss per epoch:', history.history['g_loss']?.map((v) => v.toFixed(3)).join(', '));

// 6. Save both networks (OUT/generator, OUT/discriminator, each with its optimizer's state) and the average
//    (OUT/generator-ema), load them back, sample (from the average).
await gan.save(OUT);
const restored = await loadGan(OUT);
const samples = restored.generate(100, { seed: 1 });
await writeImageGrid(join(OUT, 'samples.png'), samples, { columns: 10 });
samples.dispose();
console.log(`saved to ${OUT}; 100 samples in ${join(OUT, 'samples.png')}`);

// 7. Score 10,000 samples with an MNIST classifier (the `cnn` preset, trained and cached on first use):
//    Inception Score (higher is better, at most 10) and Fréchet distance (lower is better), beside real test digits.
const data = () => cnn.loadData({ log: false });
const classifier = await mnistClassifier({ data, log: console.log });
const scores = evaluateMnistGenerator(restored.generatorAverage!.model, classifier.model, await data());
for (const [name, s] of [
  ['generated', scores.generated],
  ['real test', scores.real],
] as const) {
  console.log(
    `${name}: Inception Score ${s.inceptionScore.toFixed(2)} ± ${s.inceptionScoreStd.toFixed(2)}, Fréchet distance ${s.frechetDistance.toFixed(2)}`,
  );
}

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new Error(`expected a whole number ≥ 1, got '${value}'`);
  return v;
}
