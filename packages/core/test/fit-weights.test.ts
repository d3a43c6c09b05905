// fit's classWeight and sampleWeight: each sample's loss is multiplied by its weight and the batch loss is
// sum(w_i · l_i) / n, as Keras does. With a learning rate of 0 the weights never change, so every logged loss can be
// computed by hand from the model's predictions.
import { describe, expect, it } from 'vitest';
import { layers, sequential, setSeed, tf, type Model, type ShapedArray, type StreamBatch } from '../src/index.js';
import { classifier, Recorder, separable, weightsOf } from './helpers.js';

const EPSILON = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPSILON), 1 - EPSILON);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** A classifier that does not learn (SGD, learning rate 0). */
function frozenClassifier(): Model {
  const model = classifier();
  model.compile({ optimizer: { name: 'sgd', learningRate: 0 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Each sample's cross-entropy under the model's current weights. */
function perSampleLoss(model: Model, x: ShapedArray, labels: number[]): number[] {
  const probs = model.predict(x);
  const rows = probs.arraySync() as number[][];
  probs.dispose();
  return rows.map((row, i) => -Math.log(clip(row[labels[i]!]!)));
}

/** sum(w_i · l_i) / n: Keras's weighted loss. */
function weightedLoss(losses: number[], weights: number[]): number {
  return sum(losses.map((l, i) => l * weights[i]!)) / losses.length;
}

describe('fit: classWeight', () => {
  it('{0: 1, 1: 0} makes the samples of class 1 count for nothing: loss = Σ w_i·l_i / n', async () => {
    setSeed(1);
    const model = frozenClassifier();
    const { x, y } = separable(30, 1);
    const labels = Array.from(y.data);
    expect(new Set(labels)).toEqual(new Set([0, 1]));
    const losses = perSampleLoss(model, x, labels);

    // Shuffled, in batches of 8, 8, 8, 6: the epoch means are weighted by batch size, so the whole-set value comes out.
    const weighted = await model.fit(x, y, { epochs: 2, batchSize: 8, classWeight: { 0: 1, 1: 0 }, verbose: 0 });
    const expected = weightedLoss(
      losses,
      labels.map((c) => (c === 0 ? 1 : 0)),
    );
    expect(weighted.history['loss']![0]!).toBeCloseTo(expected, 5);
    expect(weighted.history['loss']![1]!).toBeCloseTo(expected, 5);

    // Not just the plain mean, nor the mean over class 0 alone.
    const plain = sum(losses) / losses.length;
    const class0 = losses.filter((_, i) => labels[i] === 0);
    expect(Math.abs(expected - plain)).toBeGreaterThan(1e-3);
    expect(Math.abs(expected - sum(class0) / class0.length)).toBeGreaterThan(1e-3);
    const unweighted = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(unweighted.history['loss']![0]!).toBeCloseTo(plain, 5);
  });

  it('weights each class by its value, here {0: 0.5, 1: 3}, also per batch', async () => {
    setSeed(2);
    const model = frozenClassifier();
    const { x, y } = separable(20, 2);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    const weights = labels.map((c) => (c === 0 ? 0.5 : 3));
    const recorder = new Recorder();
    await model.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false, classWeight: { 0: 0.5, 1: 3 }, verbose: 0, callbacks: [recorder] });

    expect(recorder.batchLogs).toHaveLength(4);
    recorder.batchLogs.forEach((logs, b) => {
      const range = [5 * b, 5 * b + 5];
      expect(logs['loss']!).toBeCloseTo(weightedLoss(losses.slice(range[0], range[1]), weights.slice(range[0], range[1])), 5);
    });
    expect(recorder.epochLogs[0]!['loss']!).toBeCloseTo(weightedLoss(losses, weights), 5);
  });

  it('changes what the model learns: with class 1 weighted 0, nothing pushes it towards class 1', async () => {
    const { x, y } = separable(40, 3);
    const train = async (classWeight?: Record<number, number>) => {
      setSeed(3);
      const model = classifier();
      model.compile({ optimizer: { name: 'adam', learningRate: 0.1 }, loss: 'sparseCategoricalCrossentropy' });
      await model.fit(x, y, { epochs: 6, batchSize: 20, verbose: 0, ...(classWeight ? { classWeight } : {}) });
      const probs = model.predict(x);
      const p1 = Array.from(tf.tidy(() => probs.slice([0, 1], [-1, 1]).mean()).dataSync())[0]!;
      probs.dispose();
      return p1;
    };
    // Only class-0 samples pull on the loss: predicting class 0 everywhere is the optimum.
    expect(await train({ 0: 1, 1: 0 })).toBeLessThan(0.3);
    expect(await train()).toBeGreaterThan(0.35);
  });

  it('multiplies with sampleWeight', async () => {
    setSeed(4);
    const model = frozenClassifier();
    const { x, y } = separable(12, 4);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    const sampleWeight = Float32Array.from(labels.map((_, i) => (i % 3) + 1));
    const history = await model.fit(x, y, {
      batchSize: 5,
      classWeight: { 0: 2, 1: 0.25 },
      sampleWeight: { data: sampleWeight, shape: [12] },
      verbose: 0,
    });
    const weights = labels.map((c, i) => (c === 0 ? 2 : 0.25) * sampleWeight[i]!);
    expect(history.history['loss']![0]!).toBeCloseTo(weightedLoss(losses, weights), 5);
  });

  it('gives the classes it does not name a weight of 1', async () => {
    setSeed(5);
    const model = frozenClassifier();
    const { x, y } = separable(16, 5);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    // Only class 0 is named; class 1 keeps weight 1.
    const history = await model.fit(x, y, { batchSize: 8, classWeight: { 0: 3 }, verbose: 0 });
    expect(history.history['loss']![0]!).toBeCloseTo(
      weightedLoss(
        losses,
        labels.map((c) => (c === 0 ? 3 : 1)),
      ),
      5,
    );
  });

  it('applies to the batches of a stream too', async () => {
    setSeed(6);
    const model = frozenClassifier();
    const { x, y } = separable(10, 6);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    const stream = [{ x, y } satisfies StreamBatch];
    const history = await model.fit(stream[Symbol.iterator](), { classWeight: { 0: 1, 1: 0 }, verbose: 0 });
    expect(history.history['loss']![0]!).toBeCloseTo(
      weightedLoss(
        losses,
        labels.map((c) => (c === 0 ? 1 : 0)),
      ),
      5,
    );
  });

  it.each([
    [{ a: 1 }, 'a'],
    [{ '-1': 2 }, '-1'],
    [{ 1.5: 2 }, '1.5'],
  ])('rejects the key of %j before training', async (classWeight, key) => {
    const model = frozenClassifier();
    const { x, y } = separable(8);
    const recorder = new Recorder();
    const before = tf.memory().numTensors;
    await expect(
      model.fit(x, y, { classWeight: classWeight as unknown as Record<number, number>, verbose: 0, callbacks: [recorder] }),
    ).rejects.toThrow(`classWeight keys must be class indices (0, 1, …), got ${key}`);
    expect(recorder.events).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an empty classWeight clearly, or treats it as no weights', async () => {
    setSeed(7);
    const model = frozenClassifier();
    const { x, y } = separable(8, 7);
    const result = await model.fit(x, y, { classWeight: {}, verbose: 0 }).then(
      (h) => h.history,
      (err: unknown) => err,
    );
    if (result instanceof Error) expect(result.message).toMatch(/classWeight/);
    else expect((result as Record<string, number[]>)['loss']).toHaveLength(1);
  });
});

describe('fit: sampleWeight', () => {
  it('weighs each sample: loss = Σ w_i·l_i / n, the zero-weighted samples counting for nothing', async () => {
    setSeed(8);
    const model = frozenClassifier();
    const { x, y } = separable(20, 8);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    const weights = labels.map((_, i) => (i < 10 ? 0 : i % 2 === 0 ? 1 : 2.5));
    const history = await model.fit(x, y, { epochs: 2, batchSize: 6, sampleWeight: { data: weights, shape: [20] }, verbose: 0 });

    const expected = weightedLoss(losses, weights);
    expect(history.history['loss']![0]!).toBeCloseTo(expected, 5);
    expect(history.history['loss']![1]!).toBeCloseTo(expected, 5);
    expect(Math.abs(expected - sum(losses) / 20)).toBeGreaterThan(1e-3);
    // evaluate takes the same weights and gives the same value.
    const evaluated = await model.evaluate(x, y, { sampleWeight: { data: weights, shape: [20] } });
    expect(evaluated['loss']!).toBeCloseTo(expected, 5);
  });

  it('follows its samples through the shuffle and a validationSplit', async () => {
    setSeed(9);
    const model = frozenClassifier();
    const { x, y } = separable(20, 9);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    const weights = labels.map((_, i) => (i % 4 === 0 ? 0 : (i % 5) + 1));
    const tensorWeights = tf.tensor1d(weights);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 4, validationSplit: 0.25, sampleWeight: tensorWeights, verbose: 0 });

    expect(history.history['loss']![0]!).toBeCloseTo(weightedLoss(losses.slice(0, 15), weights.slice(0, 15)), 5);
    // The held-out samples keep their weights, as Keras splits sample_weight along with x and y.
    const valWeighted = weightedLoss(losses.slice(15), weights.slice(15));
    expect(Math.abs(valWeighted - sum(losses.slice(15)) / 5)).toBeGreaterThan(1e-3);
    expect(history.history['val_loss']![0]!).toBeCloseTo(valWeighted, 5);
    // The caller's tensor is left alone.
    expect(tensorWeights.isDisposed).toBe(false);
    tensorWeights.dispose();
  });

  it('moves the fit towards the heavily weighted samples', async () => {
    // One input, two contradictory targets: the fit settles near the one with more weight.
    const x = { data: [1, 1, 1, 1], shape: [4, 1] };
    const y = { data: [0, 0, 10, 10], shape: [4, 1] };
    const train = async (weights: number[]) => {
      setSeed(10);
      const model = sequential([layers.dense({ units: 1, inputShape: [1], useBias: false })]);
      model.compile({ optimizer: { name: 'sgd', learningRate: 0.2 }, loss: 'meanSquaredError' });
      await model.fit(x, y, { epochs: 25, batchSize: 4, sampleWeight: { data: weights, shape: [4] }, verbose: 0 });
      return weightsOf(model)[0]![0]!;
    };
    expect(await train([1, 1, 0, 0])).toBeCloseTo(0, 1);
    expect(await train([0, 0, 1, 1])).toBeCloseTo(10, 0);
    expect(await train([1, 1, 1, 1])).toBeCloseTo(5, 0);
  });

  it('rejects a sampleWeight of another length, naming it', async () => {
    const model = frozenClassifier();
    const { x, y } = separable(10);
    const before = tf.memory().numTensors;
    const error = await model.fit(x, y, { sampleWeight: { data: [1, 2, 3], shape: [3] }, verbose: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/sampleWeight/);
    expect((error as Error).message).toMatch(/10/);
    expect((error as Error).message).toMatch(/3/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects sampleWeight with a batch stream, which carries its own', async () => {
    const model = frozenClassifier();
    const { x, y } = separable(4);
    await expect(
      model.fit([{ x, y }][Symbol.iterator](), { sampleWeight: { data: [1, 1, 1, 1], shape: [4] }, verbose: 0 }),
    ).rejects.toThrow('sampleWeight needs array inputs');
  });

  it('is taken from { x, y, sampleWeight } batches of a stream', async () => {
    setSeed(11);
    const model = frozenClassifier();
    const { x, y } = separable(8, 11);
    const labels = Array.from(y.data);
    const losses = perSampleLoss(model, x, labels);
    const weights = [0, 1, 2, 3, 0, 1, 2, 3];
    const history = await model.fit([{ x, y, sampleWeight: { data: weights, shape: [8] } }][Symbol.iterator](), { verbose: 0 });
    expect(history.history['loss']![0]!).toBeCloseTo(weightedLoss(losses, weights), 5);
  });
});
