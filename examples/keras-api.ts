/**
 * A tour of @dl/core's Keras-style API on small synthetic data; every snippet in the README's API section comes from
 * here. Runs in a few seconds: `pnpm --filter dl-examples keras-api` (or `npx tsx examples/keras-api.ts`).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CSVLogger,
  EarlyStopping,
  GraphFunction,
  LearningRateScheduler,
  Model,
  ModelCheckpoint,
  ReduceLROnPlateau,
  TensorBoard,
  TerminateOnNaN,
  hostTensors,
  input,
  layers,
  loadModel,
  model,
  regularizers,
  sequential,
  setSeed,
  tf,
  type Batch,
  type Logs,
  type StreamBatch,
  type Scalar,
  type SymbolicTensor,
} from '@dl/core';

const dir = await mkdtemp(join(tmpdir(), 'dl-keras-api-'));

// Determinism: the same seed gives the same initial weights and the same shuffling.
setSeed(7);

// Data: plain { data, shape } arrays (what @dl/data's loaders return) or tensors.
const n = 512;
const features = Float32Array.from({ length: n * 8 }, () => Math.random() * 2 - 1);
const labels = Uint8Array.from({ length: n }, (_, i) => (features[i * 8]! + features[i * 8 + 1]! > 0 ? 1 : 0));
const x = { data: features, shape: [n, 8] };
const y = { data: labels, shape: [n] };

// 1. Sequential: layer factories under Keras names, with Keras options (here an L2 kernel regularizer).
const classifier = sequential([
  layers.dense({ units: 16, activation: 'relu', inputShape: [8], kernelRegularizer: regularizers.l2(1e-4) }),
  layers.dropout({ rate: 0.1 }),
  layers.dense({ units: 2, activation: 'softmax' }),
]);

// 2. compile / fit / evaluate / predict with Keras's options.
classifier.compile({ optimizer: { name: 'adam', learningRate: 1e-2 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const history = await classifier.fit(x, y, {
  epochs: 6,
  batchSize: 32,
  validationSplit: 0.2, // the last 20%, before shuffling; logged as val_loss, val_accuracy
  classWeight: { 0: 1, 1: 1 },
  verbose: 0, // the README's snippets leave the progress bar on
  // 3. Callbacks, one per concern.
  callbacks: [
    new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true }),
    new ModelCheckpoint({ filepath: join(dir, 'best'), monitor: 'val_accuracy', saveBestOnly: true }),
    new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 1 }),
    new LearningRateScheduler((epoch, lr) => (epoch < 3 ? lr : lr * 0.9)),
    new CSVLogger({ filename: join(dir, 'log.csv') }),
    new TerminateOnNaN(),
    new TensorBoard({ logDir: join(dir, 'tensorboard') }),
  ],
});
console.log('history:', history.history['val_accuracy']);
console.log('evaluate:', await classifier.evaluate(x, y)); // { loss, accuracy }
const probabilities = classifier.predict(x); // a tf.Tensor [n, 2]; dispose it when done
probabilities.dispose();

// Streams of batches (async iterables), never all in memory: each epoch iterates the stream anew.
const stream = {
  async *[Symbol.asyncIterator](): AsyncGenerator<StreamBatch> {
    for (let start = 0; start < n; start += 64) {
      yield {
        x: { data: features.subarray(start * 8, (start + 64) * 8), shape: [64, 8] },
        y: { data: labels.subarray(start, start + 64), shape: [64] },
      };
    }
  },
};
await classifier.fit(stream, { epochs: 1, verbose: 0 });

// 1b. Functional models: several inputs and outputs.
const a = input({ shape: [8], name: 'a' });
const b = input({ shape: [4], name: 'b' });
const hidden = layers.dense({ units: 16, activation: 'relu' }).apply(layers.concatenate().apply([a, b])) as SymbolicTensor;
const cls = layers.dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(hidden) as SymbolicTensor;
const score = layers.dense({ units: 1, name: 'score' }).apply(hidden) as SymbolicTensor;
const twoHeads = model({ inputs: [a, b], outputs: [cls, score] });
twoHeads.compile({
  optimizer: 'adam',
  loss: { cls: 'sparseCategoricalCrossentropy', score: 'meanSquaredError' },
  lossWeights: [1, 0.5],
  metrics: ['accuracy'],
});
const extra = { data: Float32Array.from({ length: n * 4 }, () => Math.random()), shape: [n, 4] };
const targets = { data: Float32Array.from(labels, (v) => v * 2 - 1), shape: [n, 1] };
const logs = await twoHeads.fit([x, extra], [y, targets], { epochs: 1, verbose: 0 });
console.log('multi-output logs:', Object.keys(logs.history)); // loss, cls_loss, score_loss, cls_accuracy, score_accuracy

// 4. Save, load, resume: the optimizer's state is saved too, so fit continues where it stopped.
await classifier.save(join(dir, 'classifier'));
const restored = await loadModel(join(dir, 'classifier')); // compiled, with its optimizer state
await restored.fit(x, y, { epochs: 8, initialEpoch: 6, verbose: 0 });

// 5. Custom training: override trainStep (Keras 3's train_step); fit drives it with callbacks and the progress bar.
class SquaredErrorModel extends Model {
  override trainStep(batch: Batch): Logs {
    return tf.tidy(() => {
      const loss = this.optimizer.minimize(() => tf.losses.meanSquaredError(batch.y[0]!, this.forward(batch.x, true)[0]!), true) as Scalar;
      return { loss: loss.dataSync()[0]! };
    });
  }
}
const regressor = new SquaredErrorModel(sequential([layers.dense({ units: 1, inputShape: [8] })]).net);
regressor.compile({ optimizer: 'sgd' });
await regressor.fit(x, { data: Float32Array.from(labels), shape: [n, 1] }, { epochs: 2, verbose: 0 });

// 5b. The same kind of step run as one TensorFlow graph, as the built-in step is: GraphFunction traces it, and what
// the host draws anew for every step (here input noise) goes through hostTensors.
class NoisyRegressor extends Model {
  private readonly step = new GraphFunction(([x, y]) => {
    const [noise] = hostTensors(() => [tf.randomNormal(x!.shape, 0, 0.01)]);
    return [this.optimizer.minimize(() => tf.losses.meanSquaredError(y!, this.forward([tf.add(x!, noise!)], true)[0]!), true) as Scalar];
  }, 'noisy_step');

  override trainStep(batch: Batch): Logs {
    const [loss] = this.step.run([batch.x[0]!, batch.y[0]!]);
    const value = loss!.dataSync()[0]!;
    loss!.dispose();
    return { loss: value };
  }
}
const noisy = new NoisyRegressor(sequential([layers.dense({ units: 1, inputShape: [8] })]).net);
noisy.compile({ optimizer: 'adam' });
await noisy.fit(x, { data: Float32Array.from(labels), shape: [n, 1] }, { epochs: 2, verbose: 0 });

// 6. summary(): Keras's table; `dl summary <preset|DIR>` prints the same for presets and saved models.
classifier.summary();
console.log(`done; files in ${dir}`);
