// Custom training steps, as Keras 3's train_step: fit drives an overridden trainStep (in a subclass or by assignment)
// for every batch, with callbacks and History receiving whatever logs it returns.
import { describe, expect, it } from 'vitest';
import type { Network } from '../src/layer-types.js';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { SymbolicTensor } from '../src/layer-types.js';
import { binaryCrossentropy, Callback, input, layers, Model, model, sequential, setSeed, tf, type Batch, type Logs } from '../src/index.js';
import { classifier, Recorder, separable, weightsOf } from './helpers.js';

/** A step that trains nothing and logs the batch's size and the sum of its labels. */
class Counting extends Model {
  steps = 0;
  sizes: number[] = [];
  constructor(net: Network) {
    super(net);
  }
  override trainStep(batch: Batch): Logs {
    this.steps++;
    this.sizes.push(batch.size);
    // `this` is the model: its compiled optimizer is at hand.
    expect(this.optimizer).toBeInstanceOf(tf.Optimizer);
    return { labelSum: batch.y[0]!.sum().dataSync()[0]!, step: this.steps };
  }
}

const trainable = (m: Model): Variable[] => m.net.trainableWeights.map((w) => w.read() as Variable);

describe('a custom trainStep', () => {
  it('in a subclass: fit calls it once per batch and passes its logs to callbacks and History', async () => {
    setSeed(1);
    const m = new Counting(classifier().net);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = separable(10, 1);
    const weights = weightsOf(m);
    const recorder = new Recorder();
    const history = await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: [recorder] });

    expect(m.steps).toBe(6);
    expect(m.sizes).toEqual([4, 4, 2, 4, 4, 2]);
    const labels = Array.from(y.data);
    const sums = [0, 4, 8].map((s) => labels.slice(s, s + 4).reduce((a, b) => a + b, 0));
    expect(recorder.batchLogs[0]).toEqual({ labelSum: sums[0], step: 1, batch: 0, size: 4 });
    expect(recorder.batchLogs.map((l) => l['labelSum'])).toEqual([...sums, ...sums]);
    expect(recorder.batchLogs.map((l) => l['batch'])).toEqual([0, 1, 2, 0, 1, 2]);
    // Epoch logs: the batch logs averaged over the samples.
    expect(Object.keys(history.history)).toEqual(['labelSum', 'step']);
    expect(history.history['step']![0]!).toBeCloseTo((1 * 4 + 2 * 4 + 3 * 2) / 10, 6);
    expect(history.history['step']![1]!).toBeCloseTo((4 * 4 + 5 * 4 + 6 * 2) / 10, 6);
    expect(recorder.epochLogs.map((l) => l['labelSum'])).toEqual(history.history['labelSum']);
    // It trained nothing, and the default step never ran.
    expect(weightsOf(m)).toEqual(weights);
  });

  it('assigned to an instance, possibly async: fit uses it instead of the default', async () => {
    setSeed(2);
    const m = classifier();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = separable(9, 2);
    const sizes: number[] = [];
    m.trainStep = async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      sizes.push(batch.size);
      return { loss: 42 };
    };
    const recorder = new Recorder();
    const history = await m.fit(x, y, { epochs: 2, batchSize: 5, verbose: 0, callbacks: [recorder] });
    expect(sizes).toEqual([5, 4, 5, 4]);
    expect(history.history['loss']).toEqual([42, 42]);
    expect(recorder.batchLogs.map((l) => l['loss'])).toEqual([42, 42, 42, 42]);
  });

  it('trains on x alone, with no y: every sample once per epoch, shuffled', async () => {
    setSeed(3);
    const m = classifier();
    m.compile({ optimizer: 'sgd' });
    const n = 11;
    const x = { data: Float32Array.from({ length: 2 * n }, (_, i) => Math.floor(i / 2)), shape: [n, 2] };
    const seen: number[][] = [];
    m.trainStep = (batch) => {
      expect(batch.y).toEqual([]);
      expect(batch.x).toHaveLength(1);
      seen.push(Array.from(batch.x[0]!.slice([0, 0], [-1, 1]).dataSync()));
      return { size: batch.size };
    };
    const history = await m.fit(x, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(history.epoch).toEqual([0, 1]);
    expect(seen.map((b) => b.length)).toEqual([4, 4, 3, 4, 4, 3]);
    const all = Array.from({ length: n }, (_, i) => i);
    expect(
      seen
        .slice(0, 3)
        .flat()
        .sort((a, b) => a - b),
    ).toEqual(all);
    expect(
      seen
        .slice(3)
        .flat()
        .sort((a, b) => a - b),
    ).toEqual(all);
    expect(seen.flat()).not.toEqual([...all, ...all]);
  });

  it('with the default step, fitting on x alone fails clearly', async () => {
    const m = classifier();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(m.fit(separable(4).x, { verbose: 0 })).rejects.toThrow(/the model has 1 output\(s\) \(.+\) but y has 0 array\(s\)/);
  });

  it('can stop training after its batch through stopTraining', async () => {
    const m = classifier();
    m.compile({ optimizer: 'sgd' });
    let calls = 0;
    m.trainStep = () => {
      calls++;
      if (calls === 2) m.stopTraining = true;
      return { calls };
    };
    const history = await m.fit(separable(20).x, { epochs: 5, batchSize: 4, verbose: 0 });
    expect(calls).toBe(2);
    expect(history.epoch).toEqual([0]);
  });

  it('that throws fails fit, after the callbacks have been told, and leaks no tensors', async () => {
    const m = classifier();
    m.compile({ optimizer: 'sgd' });
    m.trainStep = (batch) => {
      if (batch.size < 4) throw new Error('boom');
      return {};
    };
    const recorder = new Recorder();
    const before = tf.memory().numTensors;
    await expect(m.fit(separable(10).x, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, callbacks: [recorder] })).rejects.toThrow(
      'boom',
    );
    expect(recorder.events.at(-1)).toBe('trainEnd');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with a custom testStep, validates through it and logs its values with val_', async () => {
    const m = classifier();
    m.compile({ optimizer: 'sgd' });
    m.trainStep = (batch) => ({ n: batch.size });
    m.testStep = (batch) => ({ score: batch.x[0]!.sum().dataSync()[0]! / batch.size });
    const { x } = separable(8, 4);
    const val = { data: [1, 1, 3, 3], shape: [2, 2] };
    const history = await m.fit(x, x, { epochs: 2, batchSize: 4, validationData: [val, val], verbose: 0 });
    expect(history.history['val_score']).toEqual([4, 4]);
    expect(history.history['n']).toEqual([4, 4]);
  });
});

describe('compile without a loss', () => {
  it('works for a custom step, while the default steps explain what is missing', async () => {
    const net = sequential([layers.dense({ units: 1, inputShape: [2] })], { name: 'lossless' });
    net.compile({ optimizer: 'sgd' });
    const { x, y } = separable(4);
    const expected = "model 'lossless' was compiled without a loss: pass compile({ loss }) or override trainStep/testStep";

    const recorder = new Recorder();
    await expect(net.fit(x, y, { verbose: 0, callbacks: [recorder] })).rejects.toThrow(expected);
    expect(recorder.events.at(-1)).toBe('trainEnd');
    await expect(net.evaluate(x, y)).rejects.toThrow(expected);
    expect(() => net.metricsNames).toThrow(expected);

    net.trainStep = () => ({ ok: 1 });
    const history = await net.fit(x, y, { verbose: 0 });
    expect(history.history['ok']).toEqual([1]);
  });
});

describe('a GAN-like step with two sub-models and two optimizers', () => {
  /** Generator: noise [2] → point [2]. Discriminator: point [2] → probability it is real. */
  class Gan extends Model {
    readonly order: string[] = [];
    readonly dOptimizer = tf.train.adam(0.05);
    readonly gOptimizer = tf.train.adam(0.05);

    constructor(
      readonly generator: Model,
      readonly discriminator: Model,
    ) {
      const z = input({ shape: [2] });
      super(model({ inputs: z, outputs: discriminator.net.apply(generator.net.apply(z) as SymbolicTensor) as SymbolicTensor }).net);
    }

    override trainStep(batch: Batch): Logs {
      const real = batch.x[0]!;
      const n = batch.size;
      const bce = (label: number, p: Tensor): Scalar => binaryCrossentropy(tf.fill([n, 1], label), p).mean();
      return tf.tidy(() => {
        const dLoss = this.dOptimizer.minimize(
          () => {
            const fake = this.generator.forward([tf.randomNormal([n, 2])], true)[0]!;
            const onReal = this.discriminator.forward([real], true)[0]!;
            const onFake = this.discriminator.forward([fake], true)[0]!;
            return bce(1, onReal).add(bce(0, onFake)) as Scalar;
          },
          true,
          trainable(this.discriminator),
        )!;
        this.order.push('d');
        const gLoss = this.gOptimizer.minimize(
          () => bce(1, this.discriminator.forward(this.generator.forward([tf.randomNormal([n, 2])], true), true)[0]!),
          true,
          trainable(this.generator),
        )!;
        this.order.push('g');
        return { d_loss: dLoss.dataSync()[0]!, g_loss: gLoss.dataSync()[0]! };
      });
    }
  }

  it('updates both sub-models, alternately, with fit driving it and History logging both losses, leaking nothing', async () => {
    setSeed(5);
    const generator = sequential([layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }), layers.dense({ units: 2 })]);
    const discriminator = sequential([
      layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    const gan = new Gan(generator, discriminator);
    // The model's own optimizer is not used by this step; no loss is needed.
    gan.compile({ optimizer: 'sgd' });
    const g0 = weightsOf(generator);
    const d0 = weightsOf(discriminator);
    // "Real" data: points around (2, 2).
    const real = { data: Float32Array.from({ length: 32 }, (_, i) => 2 + 0.1 * Math.sin(i)), shape: [16, 2] };
    const counts: number[] = [];
    class Count extends Callback {
      override onEpochEnd(): void {
        counts.push(tf.memory().numTensors);
      }
    }

    const history = await gan.fit(real, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [new Count()] });

    expect(gan.order).toEqual(Array.from({ length: 6 }, () => ['d', 'g']).flat());
    expect(Object.keys(history.history).sort()).toEqual(['d_loss', 'g_loss']);
    for (const v of [...history.history['d_loss']!, ...history.history['g_loss']!]) expect(Number.isFinite(v) && v > 0).toBe(true);
    const changed = (before: number[][], after: number[][]) => before.every((w, i) => w.some((v, j) => v !== after[i]![j]));
    expect(changed(g0, weightsOf(generator))).toBe(true);
    expect(changed(d0, weightsOf(discriminator))).toBe(true);
    // The combined model shares the sub-models' weights.
    expect(gan.net.countParams()).toBe(generator.net.countParams() + discriminator.net.countParams());
    // Optimizer slots exist from the first step on; after that nothing accumulates.
    expect(new Set(counts).size).toBe(1);
  });

  it('the discriminator step alone leaves the generator untouched', async () => {
    setSeed(6);
    const generator = sequential([layers.dense({ units: 2, inputShape: [2] })]);
    const discriminator = sequential([layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2] })]);
    const gan = new Gan(generator, discriminator);
    gan.compile({ optimizer: 'sgd' });
    const g0 = weightsOf(generator);
    const d0 = weightsOf(discriminator);
    // Skip the generator's half by making its optimizer a no-op for this test.
    gan.gOptimizer.minimize = () => tf.scalar(1);
    await gan.fit({ data: [2, 2, 2, 2], shape: [2, 2] }, { verbose: 0 });
    expect(weightsOf(generator)).toEqual(g0);
    expect(weightsOf(discriminator)).not.toEqual(d0);
  });
});
