import { describe, expect, it } from 'vitest';
import { History, layers, meanSquaredError, sequential, setSeed, tf, type LossFn, type Model, type ModelData } from '../src/index.js';
import { compiledClassifier, Recorder, separable, weightsOf } from './helpers.js';

/** A 1-in 1-out linear model whose loss records the labels of every batch it sees, to observe batching and shuffling. */
function labelRecorder(): { model: Model; batches: number[][] } {
  const batches: number[][] = [];
  const model = sequential([layers.dense({ units: 1, inputShape: [1] })]);
  const loss: LossFn = (yTrue, yPred) => {
    batches.push(Array.from(yTrue.dataSync()));
    return meanSquaredError(yTrue, yPred);
  };
  model.compile({ optimizer: { name: 'adam', learningRate: 1e-3 }, loss });
  return { model, batches };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('fit: learning', () => {
  it('lowers the loss and raises the accuracy on a linearly separable problem', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const { x, y } = separable(200, 1);
    const before = await model.evaluate(x, y);

    const history = await model.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 });

    const loss = history.history['loss']!;
    const acc = history.history['accuracy']!;
    expect(loss).toHaveLength(5);
    expect(loss[4]!).toBeLessThan(loss[0]! / 2);
    for (let i = 1; i < loss.length; i++) expect(loss[i]!).toBeLessThan(loss[i - 1]!);
    expect(acc[4]!).toBeGreaterThan(acc[0]!);
    expect(acc[4]!).toBeGreaterThanOrEqual(0.95);

    const after = await model.evaluate(x, y);
    expect(after['loss']!).toBeLessThan(before['loss']! / 2);
    expect(after['accuracy']!).toBeGreaterThan(before['accuracy']!);
    expect(after['accuracy']!).toBeGreaterThanOrEqual(0.95);
  });

  it('trains identically on tensors and on {data, shape} plain arrays', async () => {
    const { x, y } = separable(64, 2);
    const run = async (xIn: ModelData, yIn: ModelData) => {
      setSeed(11);
      const model = compiledClassifier();
      const history = await model.fit(xIn, yIn, { epochs: 2, batchSize: 16, verbose: 0 });
      return { loss: history.history['loss'], weights: weightsOf(model) };
    };

    const fromArrays = await run(x, y);
    const xt = tf.tensor(x.data, x.shape);
    const yt = tf.tensor(y.data, y.shape);
    const fromTensors = await run(xt, yt);
    // number[] data and integer typed-array labels are accepted as well.
    const fromPlain = await run({ data: Array.from(x.data), shape: x.shape }, { data: Uint8Array.from(y.data), shape: y.shape });

    expect(fromArrays.loss).toHaveLength(2);
    expect(fromTensors).toEqual(fromArrays);
    expect(fromPlain).toEqual(fromArrays);
    // The caller's tensors stay usable: fit disposes only the tensors it created itself.
    expect(xt.isDisposed).toBe(false);
    expect(yt.isDisposed).toBe(false);
    tf.dispose([xt, yt]);
  });

  it('returns a History with one loss, one metric value and one positive duration per epoch', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const { x, y } = separable(40, 3);
    const history = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });

    expect(history).toBeInstanceOf(History);
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss']);
    expect(history.history['loss']).toHaveLength(3);
    expect(history.history['accuracy']).toHaveLength(3);
    for (const v of history.history['loss']!) expect(Number.isFinite(v) && v > 0).toBe(true);
    for (const v of history.history['accuracy']!) expect(v >= 0 && v <= 1).toBe(true);
    expect(history.epochSeconds).toHaveLength(3);
    for (const s of history.epochSeconds) expect(s).toBeGreaterThan(0);
  });

  it('with initialEpoch runs only the remaining epochs, numbered from initialEpoch', async () => {
    setSeed(4);
    const model = compiledClassifier();
    const { x, y } = separable(20, 4);
    const recorder = new Recorder();
    const history = await model.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 10, verbose: 0, callbacks: [recorder] });

    expect(history.epoch).toEqual([2, 3]);
    expect(history.history['loss']).toHaveLength(2);
    expect(history.epochSeconds).toHaveLength(2);
    expect(recorder.events.filter((e) => e.startsWith('epochBegin'))).toEqual(['epochBegin 2', 'epochBegin 3']);
    expect(recorder.params.initialEpoch).toBe(2);
    expect(recorder.params.epochs).toBe(4);
  });

  it('with initialEpoch equal to epochs trains nothing', async () => {
    setSeed(4);
    const model = compiledClassifier();
    const { x, y } = separable(20, 4);
    const weights = weightsOf(model);
    const recorder = new Recorder();
    const history = await model.fit(x, y, { epochs: 3, initialEpoch: 3, verbose: 0, callbacks: [recorder] });

    expect(history.epoch).toEqual([]);
    expect(recorder.events).toEqual(['trainBegin', 'trainEnd']);
    expect(weightsOf(model)).toEqual(weights);
  });

  it('continues from the current weights when called again', async () => {
    setSeed(6);
    const model = compiledClassifier(0.02);
    const { x, y } = separable(100, 6);
    const first = await model.fit(x, y, { epochs: 2, batchSize: 20, verbose: 0 });
    const second = await model.fit(x, y, { epochs: 2, batchSize: 20, verbose: 0 });
    expect(second.epoch).toEqual([0, 1]);
    expect(second.history['loss']![0]!).toBeLessThan(first.history['loss']![0]!);
  });
});

describe('fit: batching, shuffling and determinism', () => {
  it('without shuffling feeds the samples in order, in batches of batchSize and a smaller last one', async () => {
    const { model, batches } = labelRecorder();
    const n = 10;
    const data = Float32Array.from(range(n));
    await model.fit({ data, shape: [n, 1] }, { data, shape: [n, 1] }, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });

    const epoch = [range(4), [4, 5, 6, 7], [8, 9]];
    expect(batches).toEqual([...epoch, ...epoch]);
  });

  it('with shuffling feeds every sample once per epoch, in a new order each epoch', async () => {
    setSeed(21);
    const { model, batches } = labelRecorder();
    const n = 12;
    const data = Float32Array.from(range(n));
    await model.fit({ data, shape: [n, 1] }, { data, shape: [n, 1] }, { epochs: 3, batchSize: 5, verbose: 0 });

    expect(batches.map((b) => b.length)).toEqual([5, 5, 2, 5, 5, 2, 5, 5, 2]);
    const epochs = [0, 1, 2].map((e) => batches.slice(3 * e, 3 * e + 3).flat());
    for (const order of epochs) expect([...order].sort((a, b) => a - b)).toEqual(range(n));
    expect(epochs.some((order) => order.join() !== range(n).join())).toBe(true);
    expect(new Set(epochs.map((order) => order.join())).size).toBe(3);
  });

  it('is deterministic with shuffle:false and a fixed seed', async () => {
    const { x, y } = separable(60, 5);
    const run = async () => {
      setSeed(5);
      const model = compiledClassifier();
      const history = await model.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
      return { loss: history.history['loss'], accuracy: history.history['accuracy'], weights: weightsOf(model) };
    };
    const a = await run();
    const b = await run();
    expect(a.loss).toHaveLength(3);
    expect(b).toEqual(a);
  });

  it('is deterministic with shuffling and a fixed seed, and the shuffle changes the batches', async () => {
    const { x, y } = separable(60, 5);
    const run = async (shuffle: boolean) => {
      setSeed(5);
      const model = compiledClassifier();
      const history = await model.fit(x, y, { epochs: 2, batchSize: 16, shuffle, verbose: 0 });
      return history.history['loss'];
    };
    const shuffled = await run(true);
    expect(await run(true)).toEqual(shuffled);
    // Same seed, same initial weights: only the batch order differs, so the losses do too.
    expect(await run(false)).not.toEqual(shuffled);
  });
});
