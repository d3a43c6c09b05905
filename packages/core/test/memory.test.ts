import { describe, expect, it } from 'vitest';
import { Callback, LearningRateScheduler, setSeed, tf, type TensorLike } from '../src/index.js';
import type { Tensor } from '@tensorflow/tfjs';
import { compiledClassifier, separable } from './helpers.js';

/** Counts live tensors at the end of every epoch. */
class TensorCounter extends Callback {
  counts: number[] = [];
  override onEpochEnd(): void {
    this.counts.push(tf.memory().numTensors);
  }
}

describe('fit, evaluate and predict leak no tensors', () => {
  const { x, y } = separable(50, 1);
  const cases: Array<[string, () => [TensorLike, TensorLike], boolean]> = [
    ['plain arrays, shuffled', () => [x, y], true],
    ['plain arrays, in order', () => [x, y], false],
    ['tensors, shuffled', () => [tf.tensor(x.data, x.shape), tf.tensor(y.data, y.shape)], true],
    ['tensors, in order', () => [tf.tensor(x.data, x.shape), tf.tensor(y.data, y.shape)], false],
  ];

  it.each(cases)('a second fit on %s ends with as many tensors as it started with', async (_name, inputs, shuffle) => {
    setSeed(1);
    const model = compiledClassifier();
    const [xs, ys] = inputs();
    // The first fit creates the optimizer's slot variables; from then on the count must stay put.
    await model.fit(xs, ys, { epochs: 1, batchSize: 16, shuffle, verbose: 0 });
    const before = tf.memory().numTensors;
    await model.fit(xs, ys, { epochs: 2, batchSize: 16, shuffle, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xs, ys].filter((t): t is Tensor => t instanceof tf.Tensor));
  });

  it('keeps the tensor count constant from epoch to epoch', async () => {
    setSeed(2);
    const model = compiledClassifier();
    const counter = new TensorCounter();
    const history = await model.fit(x, y, {
      epochs: 4,
      batchSize: 16,
      verbose: 0,
      callbacks: [counter, new LearningRateScheduler((e) => 0.05 / (e + 1))],
    });
    expect(history.epoch).toHaveLength(4);
    expect(counter.counts).toHaveLength(4);
    expect(new Set(counter.counts).size).toBe(1);
  });

  it('evaluate leaves the tensor count unchanged and predict adds only the tensor it returns', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const xt = tf.tensor(x.data, x.shape);
    const yt = tf.tensor(y.data, y.shape);
    const before = tf.memory().numTensors;
    await model.evaluate(x, y, { batchSize: 7 });
    await model.evaluate(xt, yt);
    expect(tf.memory().numTensors).toBe(before);

    const fromArray = model.predict(x, { batchSize: 7 });
    const fromTensor = model.predict(xt);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([fromArray, fromTensor]);
    expect(tf.memory().numTensors).toBe(before);
    expect(xt.isDisposed || yt.isDisposed).toBe(false);
    tf.dispose([xt, yt]);
  });
});
