import { describe, expect, it } from 'vitest';
import { sequential, layers, tf, type FitOptions } from '../src/index.js';
import { classifier, compiledClassifier, Recorder, separable } from './helpers.js';

const VALID_OPTIONS = ['epochs', 'batchSize', 'shuffle', 'verbose', 'callbacks', 'initialEpoch'];

describe('fit: argument errors', () => {
  it('rejects an unknown option, naming it and every valid option', async () => {
    const model = compiledClassifier();
    const { x, y } = separable(8);
    const recorder = new Recorder();
    const error = await model.fit(x, y, { epoch: 3, verbose: 0, callbacks: [recorder] } as FitOptions).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^fit: unknown option epoch; valid options: /);
    for (const name of VALID_OPTIONS) expect(message).toContain(name);
    expect(recorder.events).toEqual([]);
  });

  it('names all unknown options at once', async () => {
    const model = compiledClassifier();
    const { x, y } = separable(8);
    await expect(model.fit(x, y, { epoch: 3, batch_size: 4, verbose: 0 } as FitOptions)).rejects.toThrow(
      /unknown options epoch, batch_size; valid options: epochs, batchSize/,
    );
  });

  it.each([
    ['epochs', 0],
    ['epochs', -1],
    ['epochs', 1.5],
    ['batchSize', 0],
    ['batchSize', -8],
    ['batchSize', 2.5],
  ])('rejects %s = %s', async (name, value) => {
    const model = compiledClassifier();
    const { x, y } = separable(8);
    const recorder = new Recorder();
    await expect(model.fit(x, y, { [name]: value, verbose: 0, callbacks: [recorder] })).rejects.toThrow(
      `${name} must be a positive integer, got ${value}`,
    );
    expect(recorder.events).toEqual([]);
  });

  it('rejects x and y with different numbers of samples, naming both counts', async () => {
    const model = compiledClassifier();
    const { x } = separable(10);
    const { y } = separable(9);
    const recorder = new Recorder();
    await expect(model.fit(x, y, { verbose: 0, callbacks: [recorder] })).rejects.toThrow('x has 10 samples but y has 9: they must match');
    expect(recorder.events).toEqual([]);
    await expect(model.evaluate(x, y)).rejects.toThrow('x has 10 samples but y has 9');
  });

  it('rejects an empty training set', async () => {
    const model = compiledClassifier();
    await expect(model.fit({ data: [], shape: [0, 2] }, { data: [], shape: [0] }, { verbose: 0 })).rejects.toThrow('x has no samples');
  });

  it('rejects a plain array whose data does not fill its shape', async () => {
    const model = compiledClassifier();
    await expect(model.fit({ data: [1, 2, 3], shape: [2, 2] }, { data: [0, 1], shape: [2] }, { verbose: 0 })).rejects.toThrow(
      'array of 3 values does not match its shape [2, 2] (4 values)',
    );
  });

  it('frees the tensors it made from plain arrays when it rejects them', async () => {
    const model = compiledClassifier();
    const { x } = separable(10);
    const { y } = separable(9);
    const before = tf.memory().numTensors;
    await expect(model.fit(x, y, { verbose: 0 })).rejects.toThrow();
    await expect(model.evaluate(x, y)).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explains how to compile when fit, evaluate or the optimizer are used before compile', async () => {
    const model = sequential([layers.dense({ units: 2, activation: 'softmax', inputShape: [2] })], { name: 'uncompiled' });
    const { x, y } = separable(8);
    const expected = "model 'uncompiled' is not compiled: call model.compile({ optimizer, loss, metrics }) first";

    await expect(model.fit(x, y, { verbose: 0 })).rejects.toThrow(expected);
    await expect(model.evaluate(x, y)).rejects.toThrow(expected);
    expect(() => model.optimizer).toThrow(expected);
    expect(() => model.metricsNames).toThrow(expected);
  });

  it('predicts without being compiled', () => {
    const model = classifier();
    const { x } = separable(3);
    const out = model.predict(x);
    expect(out.shape).toEqual([3, 2]);
    out.dispose();
  });
});
