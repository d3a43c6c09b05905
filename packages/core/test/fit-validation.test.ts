// fit's validation: validationSplit (the last fraction of the arrays, held out before shuffling) and validationData
// (arrays or a batch stream), logged as val_* and equal to evaluate() on the same samples.
import { describe, expect, it } from 'vitest';
import type { Network } from '../src/layer-types.js';
import { Model, layers, sequential, setSeed, tf, type Batch, type BatchStream, type ShapedArray, type StreamBatch } from '../src/index.js';
import { classifier, Recorder, separable, weightsOf, type Dataset } from './helpers.js';

/** A model that records the labels of every batch its train and test steps see. */
class Spy extends Model {
  trainLabels: number[][] = [];
  testLabels: number[][] = [];

  constructor(net: Network) {
    super(net);
  }

  override trainStep(batch: Batch) {
    this.trainLabels.push(Array.from(batch.y[0]!.dataSync()));
    return super.trainStep(batch);
  }

  override testStep(batch: Batch) {
    this.testLabels.push(Array.from(batch.y[0]!.dataSync()));
    return super.testStep(batch);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Samples numbered 0..n-1 in x and y alike, so every batch tells which samples it holds. */
function numbered(n: number): ShapedArray {
  return { data: Float32Array.from(range(0, n)), shape: [n, 1] };
}

/** Rows [from, to) of a dataset, as plain arrays. */
function rows(data: Dataset, from: number, to: number): Dataset {
  return {
    x: { data: Float32Array.from(data.x.data).slice(from * 2, to * 2), shape: [to - from, 2] },
    y: { data: Float32Array.from(data.y.data).slice(from, to), shape: [to - from] },
  };
}

/** A classifier that does not learn (SGD with learning rate 0), so every epoch validates the same weights. */
function frozenClassifier(): Model {
  const model = classifier();
  model.compile({ optimizer: { name: 'sgd', learningRate: 0 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

function learningClassifier(): Model {
  const model = classifier();
  model.compile({ optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** A re-iterable stream of batches over a dataset, counting how many times it was iterated. */
function streamOf(data: Dataset, batchSize: number): BatchStream & { passes: number } {
  const n = data.y.shape[0];
  const stream = {
    passes: 0,
    async *[Symbol.asyncIterator](): AsyncGenerator<StreamBatch> {
      stream.passes++;
      for (let start = 0; start < n; start += batchSize) {
        const part = rows(data, start, Math.min(n, start + batchSize));
        yield { x: part.x, y: part.y };
      }
    },
  };
  return stream;
}

/** The val_ entries of epoch logs, without their prefix. */
function valLogs(logs: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(logs)
      .filter(([k]) => k.startsWith('val_'))
      .map(([k, v]) => [k.slice(4), v]),
  );
}

function expectLogsClose(actual: Record<string, number>, expected: Record<string, number>, digits = 5): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) expect(actual[k]!, k).toBeCloseTo(v, digits);
}

describe('fit: validationSplit', () => {
  it('holds out the last fraction of the samples, taken before shuffling, and never trains on it', async () => {
    setSeed(1);
    const model = new Spy(sequential([layers.dense({ units: 1, inputShape: [1] })]).net);
    model.compile({ optimizer: { name: 'sgd', learningRate: 1e-3 }, loss: 'meanSquaredError' });
    const recorder = new Recorder();
    // 12 samples, 0.25 held out: samples 9, 10, 11 validate; 0..8 train, shuffled, in batches of 4.
    const data = numbered(12);
    const history = await model.fit(data, data, { epochs: 3, batchSize: 4, validationSplit: 0.25, verbose: 0, callbacks: [recorder] });

    expect(recorder.params.samples).toBe(9);
    expect(recorder.params.steps).toBe(3);
    expect(model.trainLabels).toHaveLength(9);
    for (let epoch = 0; epoch < 3; epoch++) {
      const seen = model.trainLabels.slice(3 * epoch, 3 * epoch + 3).flat();
      expect([...seen].sort((a, b) => a - b)).toEqual(range(0, 9));
    }
    // Shuffled: at least one epoch's order is not 0..8.
    expect(model.trainLabels.some((b, i) => b.join() !== range(4 * (i % 3), Math.min(9, 4 * (i % 3) + 4)).join())).toBe(true);
    // Validation runs once per epoch on the held-out samples, in order.
    expect(model.testLabels).toEqual([range(9, 12), range(9, 12), range(9, 12)]);
    expect(history.history['val_loss']).toHaveLength(3);
    expect(recorder.epochLogs.every((logs) => 'val_loss' in logs)).toBe(true);
  });

  it('logs val_loss and val_accuracy equal to evaluate() on exactly the held-out samples, every epoch', async () => {
    setSeed(2);
    const model = frozenClassifier();
    const data = separable(40, 2);
    const heldOut = rows(data, 30, 40);
    const weights = weightsOf(model);
    const recorder = new Recorder();
    const history = await model.fit(data.x, data.y, { epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0, callbacks: [recorder] });

    expect(weightsOf(model)).toEqual(weights);
    const expected = await model.evaluate(heldOut.x, heldOut.y, { batchSize: 8 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(recorder.epochLogs).toHaveLength(2);
    for (const logs of recorder.epochLogs) expectLogsClose(valLogs(logs), expected);
    expect(history.history['val_loss']![1]!).toBeCloseTo(expected['loss']!, 5);
    expect(history.history['val_accuracy']![1]!).toBeCloseTo(expected['accuracy']!, 5);
    // Validating on the wrong samples would give another value: the first 10, say.
    const other = await model.evaluate(rows(data, 0, 10).x, rows(data, 0, 10).y);
    expect(Math.abs(other['loss']! - expected['loss']!)).toBeGreaterThan(1e-4);
  });

  it('validates the weights of the end of each epoch: the last epoch matches evaluate() of the trained model', async () => {
    setSeed(3);
    const model = learningClassifier();
    const data = separable(40, 3);
    const heldOut = rows(data, 32, 40);
    const history = await model.fit(data.x, data.y, { epochs: 3, batchSize: 8, validationSplit: 0.2, verbose: 0 });

    const final = await model.evaluate(heldOut.x, heldOut.y);
    expect(history.history['val_loss']![2]!).toBeCloseTo(final['loss']!, 5);
    expect(history.history['val_accuracy']![2]!).toBeCloseTo(final['accuracy']!, 5);
    expect(history.history['val_loss']![0]).not.toBe(history.history['val_loss']![2]);
  });

  it.each([0, 1, -0.1, 1.5, Number.NaN])('rejects validationSplit = %s before training', async (fraction) => {
    const model = frozenClassifier();
    const { x, y } = separable(10);
    const recorder = new Recorder();
    await expect(model.fit(x, y, { validationSplit: fraction, verbose: 0, callbacks: [recorder] })).rejects.toThrow(
      `validationSplit must be between 0 and 1 (exclusive), got ${fraction}`,
    );
    expect(recorder.events).toEqual([]);
  });

  it('rejects a fraction that leaves no sample to validate, and frees the tensors it made', async () => {
    const model = frozenClassifier();
    const { x, y } = separable(10);
    const before = tf.memory().numTensors;
    await expect(model.fit(x, y, { validationSplit: 0.05, verbose: 0 })).rejects.toThrow(
      'validationSplit 0.05 of 10 samples leaves 10 to train on and 0 to validate',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects validationSplit with a batch stream', async () => {
    const model = frozenClassifier();
    await expect(model.fit(streamOf(separable(8), 4), { validationSplit: 0.5, verbose: 0 })).rejects.toThrow(
      'validationSplit needs array inputs',
    );
  });
});

describe('fit: validationData', () => {
  it('as [x, y] arrays: validates on them after every epoch, never trains on them, logs what evaluate() gives', async () => {
    setSeed(4);
    const model = new Spy(classifier().net);
    model.compile({ optimizer: { name: 'sgd', learningRate: 0 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const train = separable(16, 4);
    const val = separable(7, 5);
    const recorder = new Recorder();
    // validationBatchSize 3: the validation set is split in 3 + 3 + 1, the means weighted by batch size.
    const history = await model.fit(train.x, train.y, {
      epochs: 2,
      batchSize: 8,
      validationData: [val.x, val.y],
      validationBatchSize: 3,
      verbose: 0,
      callbacks: [recorder],
    });

    const valLabels = Array.from(val.y.data);
    expect(model.testLabels).toEqual([
      valLabels.slice(0, 3),
      valLabels.slice(3, 6),
      valLabels.slice(6),
      valLabels.slice(0, 3),
      valLabels.slice(3, 6),
      valLabels.slice(6),
    ]);
    expect(model.trainLabels.map((b) => b.length)).toEqual([8, 8, 8, 8]);
    model.testLabels = [];
    const expected = await model.evaluate(val.x, val.y);
    expect(recorder.epochLogs).toHaveLength(2);
    for (const logs of recorder.epochLogs) expectLogsClose(valLogs(logs), expected);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  });

  it('as tensors, which it leaves to the caller', async () => {
    setSeed(5);
    const model = frozenClassifier();
    const train = separable(16, 6);
    const val = separable(6, 7);
    const xv = tf.tensor(val.x.data, val.x.shape);
    const yv = tf.tensor(val.y.data, val.y.shape);
    const history = await model.fit(train.x, train.y, { epochs: 1, batchSize: 8, validationData: [xv, yv], verbose: 0 });
    const expected = await model.evaluate(xv, yv);
    expect(history.history['val_loss']![0]!).toBeCloseTo(expected['loss']!, 5);
    expect(xv.isDisposed || yv.isDisposed).toBe(false);
    tf.dispose([xv, yv]);
  });

  it('as a re-iterable batch stream: runs it whole after every epoch, logging what evaluate() gives on it', async () => {
    setSeed(6);
    const model = learningClassifier();
    const train = separable(32, 8);
    const val = separable(10, 9);
    const stream = streamOf(val, 4);
    const history = await model.fit(train.x, train.y, { epochs: 3, batchSize: 8, validationData: stream, verbose: 0 });

    expect(stream.passes).toBe(3);
    const final = await model.evaluate(stream);
    expect(history.history['val_loss']![2]!).toBeCloseTo(final['loss']!, 5);
    expect(history.history['val_accuracy']![2]!).toBeCloseTo(final['accuracy']!, 5);
    // The same as evaluating the arrays themselves.
    const fromArrays = await model.evaluate(val.x, val.y);
    expectLogsClose(final, fromArrays);
    // Recomputed every epoch, as the model learns.
    expect(history.history['val_loss']![0]).not.toBe(history.history['val_loss']![2]);
  });

  it('with a frozen model, every epoch of a validation stream logs the same values as evaluate()', async () => {
    setSeed(7);
    const model = frozenClassifier();
    const train = separable(16, 10);
    const val = separable(9, 11);
    const history = await model.fit(streamOf(train, 8), { epochs: 2, validationData: streamOf(val, 4), verbose: 0 });
    const expected = await model.evaluate(val.x, val.y);
    expect(history.history['val_loss']!.map((v) => v.toFixed(5))).toEqual([0, 1].map(() => expected['loss']!.toFixed(5)));
    expect(history.history['val_accuracy']!.map((v) => v.toFixed(5))).toEqual([0, 1].map(() => expected['accuracy']!.toFixed(5)));
  });

  it('fails clearly, rather than silently dropping the val_ logs, when a one-shot validation generator runs dry', async () => {
    setSeed(8);
    const model = frozenClassifier();
    const train = separable(16, 12);
    const val = separable(8, 13);
    async function* once(): AsyncGenerator<StreamBatch> {
      yield { x: val.x, y: val.y };
    }
    const result = await model.fit(train.x, train.y, { epochs: 2, batchSize: 8, validationData: once(), verbose: 0 }).then(
      (history) => history.history,
      (err: unknown) => err,
    );
    // Either an error that says what is wrong, or validation on every epoch; never an epoch with no val_loss.
    if (result instanceof Error) expect(result.message).toMatch(/validation/i);
    else expect((result as Record<string, number[]>)['val_loss']).toHaveLength(2);
  });

  it('rejects validationData that is neither [x, y] nor a stream, and x/y of different lengths', async () => {
    const model = frozenClassifier();
    const { x, y } = separable(8);
    const before = tf.memory().numTensors;
    await expect(model.fit(x, y, { validationData: [x] as unknown as [ShapedArray, ShapedArray], verbose: 0 })).rejects.toThrow(
      'validationData must be [x, y] or a batch stream',
    );
    await expect(model.fit(x, y, { validationData: [x, separable(5).y], verbose: 0 })).rejects.toThrow('x has 8 samples but y has 5');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with validationSplit as well: validates on validationData and leaks no tensors', async () => {
    setSeed(9);
    const model = frozenClassifier();
    const train = separable(20, 14);
    const val = separable(6, 15);
    const before = tf.memory().numTensors;
    const result = await model
      .fit(train.x, train.y, { epochs: 1, batchSize: 10, validationSplit: 0.5, validationData: [val.x, val.y], verbose: 0 })
      .then(
        (history) => history.history,
        (err: unknown) => err,
      );
    expect(tf.memory().numTensors).toBe(before);
    if (result instanceof Error) {
      // Rejecting the combination is fine, if it says so.
      expect(result.message).toMatch(/validationSplit/);
      expect(result.message).toMatch(/validationData/);
    } else {
      const expected = await model.evaluate(val.x, val.y);
      expect((result as Record<string, number[]>)['val_loss']![0]!).toBeCloseTo(expected['loss']!, 5);
    }
  });
});
