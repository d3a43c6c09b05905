// fit and evaluate on batch streams: re-iterable async iterables (each epoch runs the whole stream), one-shot
// generators with stepsPerEpoch (each epoch continues the same iterator), batches as { x, y } or [x, y], tensors or
// plain { data, shape } arrays.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import type { Network } from '../src/layer-types.js';
import {
  Callback,
  Model,
  setSeed,
  tf,
  type Batch,
  type BatchStream,
  type ModelData,
  type ShapedArray,
  type StreamBatch,
} from '../src/index.js';
import { classifier, compiledClassifier, Recorder, separable, type Dataset } from './helpers.js';

/** Rows [from, to) of a dataset, as plain arrays. */
function rows(data: Dataset, from: number, to: number): Dataset {
  return {
    x: { data: Float32Array.from(data.x.data).slice(from * 2, to * 2), shape: [to - from, 2] },
    y: { data: Float32Array.from(data.y.data).slice(from, to), shape: [to - from] },
  };
}

function chunks(data: Dataset, batchSize: number): Dataset[] {
  const n = data.y.shape[0];
  const out: Dataset[] = [];
  for (let start = 0; start < n; start += batchSize) out.push(rows(data, start, Math.min(n, start + batchSize)));
  return out;
}

/** An object whose [Symbol.asyncIterator]() starts a fresh async generator over the batches: re-iterable. */
function reiterable(batches: () => StreamBatch[]): BatchStream & { passes: number } {
  const stream = {
    passes: 0,
    async *[Symbol.asyncIterator](): AsyncGenerator<StreamBatch> {
      stream.passes++;
      for (const b of batches()) yield b;
    },
  };
  return stream;
}

/** params.steps and params.samples as each epoch begins. */
class ParamsRecorder extends Callback {
  steps: Array<number | undefined> = [];
  samples: Array<number | undefined> = [];
  override onEpochBegin(): void {
    this.steps.push(this.params.steps);
    this.samples.push(this.params.samples);
  }
}

/** Records which numbered batches (y[0] holds the batch's number) each train step gets. */
class BatchSpy extends Model {
  seen: number[] = [];
  constructor(net: Network) {
    super(net);
  }
  override trainStep(batch: Batch) {
    this.seen.push(batch.y[0]!.dataSync()[0]!);
    return { loss: batch.y[0]!.dataSync()[0]! };
  }
}

function batchSpy(): BatchSpy {
  const spy = new BatchSpy(classifier().net);
  spy.compile({ optimizer: 'sgd' });
  return spy;
}

/** Batch number `i`: two samples whose labels are both i. */
const numberedBatch = (i: number): StreamBatch => ({ x: { data: [i, i, i, i], shape: [2, 2] }, y: { data: [i, i], shape: [2] } });

const weightsOf = (model: Model) => model.net.getWeights().map((w) => Array.from(w.dataSync()));

describe('fit on a re-iterable async stream', () => {
  it('runs every batch of the stream in every epoch; steps is unknown in epoch 1 and learnt after', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const data = separable(10, 1);
    const stream = reiterable(() => chunks(data, 4).map((b) => ({ x: b.x, y: b.y })));
    const recorder = new Recorder();
    const params = new ParamsRecorder();
    const history = await model.fit(stream, { epochs: 3, verbose: 0, callbacks: [recorder, params] });

    expect(stream.passes).toBe(3);
    expect(params.steps).toEqual([undefined, 3, 3]);
    expect(params.samples).toEqual([undefined, undefined, undefined]);
    const batchEnds = recorder.events.filter((e) => e.startsWith('batchEnd'));
    expect(batchEnds).toEqual([
      'batchEnd 0',
      'batchEnd 1',
      'batchEnd 2',
      'batchEnd 0',
      'batchEnd 1',
      'batchEnd 2',
      'batchEnd 0',
      'batchEnd 1',
      'batchEnd 2',
    ]);
    expect(recorder.batchLogs.map((l) => l['size'])).toEqual([4, 4, 2, 4, 4, 2, 4, 4, 2]);
    // Epoch values are the batch values averaged over the samples.
    for (let epoch = 0; epoch < 3; epoch++) {
      const logs = recorder.batchLogs.slice(3 * epoch, 3 * epoch + 3);
      const mean = logs.reduce((s, l) => s + l['loss']! * l['size']!, 0) / 10;
      expect(history.history['loss']![epoch]!).toBeCloseTo(mean, 6);
    }
  });

  it('trains exactly as fit on the same arrays in the same order and batches', async () => {
    const data = separable(24, 2);
    setSeed(2);
    const fromStream = compiledClassifier();
    const streamed = await fromStream.fit(
      reiterable(() => chunks(data, 8).map((b) => [b.x, b.y])),
      { epochs: 2, verbose: 0 },
    );
    setSeed(2);
    const fromArrays = compiledClassifier();
    const arrays = await fromArrays.fit(data.x, data.y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });

    expect(streamed.history).toEqual(arrays.history);
    expect(weightsOf(fromStream)).toEqual(weightsOf(fromArrays));
  });

  it('accepts a plain synchronous iterable (a generator function per epoch) as well', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const data = separable(12, 3);
    const batches = chunks(data, 6);
    const stream = {
      *[Symbol.iterator](): Generator<StreamBatch> {
        for (const b of batches) yield { x: b.x, y: b.y };
      },
    };
    const recorder = new Recorder();
    await model.fit(stream, { epochs: 2, verbose: 0, callbacks: [recorder] });
    expect(recorder.batchLogs.map((l) => l['size'])).toEqual([6, 6, 6, 6]);
  });

  it('fails clearly when a one-shot generator without stepsPerEpoch runs dry in epoch 2', async () => {
    const model = compiledClassifier();
    const data = separable(8, 4);
    async function* once(): AsyncGenerator<StreamBatch> {
      yield { x: data.x, y: data.y };
    }
    const recorder = new Recorder();
    await expect(model.fit(once(), { epochs: 2, verbose: 0, callbacks: [recorder] })).rejects.toThrow(
      'the training data yielded no batches: for a batch stream, make it re-iterable or pass stepsPerEpoch',
    );
    expect(recorder.events.at(-1)).toBe('trainEnd');
    expect(recorder.epochLogs).toHaveLength(1);
  });
});

describe('fit on a one-shot generator with stepsPerEpoch', () => {
  it('takes the next stepsPerEpoch batches in each epoch, continuing the one iterator', async () => {
    const model = batchSpy();
    let pulled = 0;
    async function* forever(): AsyncGenerator<StreamBatch> {
      for (let i = 0; ; i++) {
        pulled++;
        yield numberedBatch(i);
      }
    }
    const params = new ParamsRecorder();
    const history = await model.fit(forever(), { epochs: 3, stepsPerEpoch: 2, verbose: 0, callbacks: [params] });

    expect(model.seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pulled).toBe(6);
    expect(params.steps).toEqual([2, 2, 2]);
    expect(history.history['loss']).toEqual([0.5, 2.5, 4.5]);
  });

  it('continues a re-iterable stream too, rather than starting it over', async () => {
    const model = batchSpy();
    const stream = reiterable(() => [0, 1, 2, 3, 4, 5].map(numberedBatch));
    await model.fit(stream, { epochs: 3, stepsPerEpoch: 2, verbose: 0 });
    expect(model.seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stream.passes).toBe(1);
  });

  it('fails clearly when the stream ends before an epoch has its stepsPerEpoch batches', async () => {
    const model = batchSpy();
    async function* five(): AsyncGenerator<StreamBatch> {
      for (let i = 0; i < 5; i++) yield numberedBatch(i);
    }
    const recorder = new Recorder();
    await expect(model.fit(five(), { epochs: 3, stepsPerEpoch: 2, verbose: 0, callbacks: [recorder] })).rejects.toThrow(
      'the batch stream ended after 1 of 2 steps of an epoch (stepsPerEpoch): make it yield more batches, or lower stepsPerEpoch',
    );
    expect(model.seen).toEqual([0, 1, 2, 3, 4]);
    expect(recorder.epochLogs).toHaveLength(2);
    expect(recorder.events.at(-1)).toBe('trainEnd');
  });

  it.each([0, -1, 1.5])('rejects stepsPerEpoch = %s', async (steps) => {
    const model = batchSpy();
    await expect(
      model.fit(
        reiterable(() => [numberedBatch(0)]),
        { stepsPerEpoch: steps, verbose: 0 },
      ),
    ).rejects.toThrow(`stepsPerEpoch must be a positive integer, got ${steps}`);
  });
});

describe('batches of a stream', () => {
  const data = separable(12, 5);
  const parts = chunks(data, 5);
  const tensor = (a: ShapedArray) => tf.tensor(a.data, a.shape);
  type Form = (b: Dataset, i: number) => StreamBatch;
  const forms: Array<[string, Form]> = [
    ['{ x, y } of plain arrays', (b) => ({ x: b.x, y: b.y })],
    ['[x, y] of plain arrays', (b) => [b.x, b.y]],
    ['{ x, y } of tensors', (b) => ({ x: tensor(b.x), y: tensor(b.y) })],
    ['[x, y] of tensors', (b) => [tensor(b.x), tensor(b.y)]],
    ['mixed forms', (b, i) => (i % 2 === 0 ? [tensor(b.x), b.y] : { x: b.x, y: tensor(b.y) })],
    ['one-element lists of arrays', (b) => ({ x: [b.x], y: [b.y] })],
  ];

  /** Training on the arrays themselves, in order, in the stream's batches: computed once. */
  let reference: Promise<{ history: Record<string, number[]>; weights: number[][] }> | undefined;
  const onArrays = () =>
    (reference ??= (async () => {
      setSeed(6);
      const m = compiledClassifier();
      const history = await m.fit(data.x, data.y, { epochs: 2, batchSize: 5, shuffle: false, verbose: 0 });
      return { history: history.history, weights: weightsOf(m) };
    })());

  it.each(forms)('may be %s: training is the same as on the arrays', async (_name, form) => {
    const expected = await onArrays();

    const batches = parts.map(form);
    const mine = batches
      .flatMap((b) => (Array.isArray(b) ? b : [b.x, b.y]))
      .flat()
      .filter((t): t is Tensor => t instanceof tf.Tensor);
    setSeed(6);
    const model = compiledClassifier();
    const history = await model.fit(
      reiterable(() => batches),
      { epochs: 2, verbose: 0 },
    );

    expect(history.history).toEqual(expected.history);
    expect(weightsOf(model)).toEqual(expected.weights);
    // The stream's own tensors belong to the caller: fit leaves them alone.
    expect(mine.every((t) => !t.isDisposed)).toBe(true);
    tf.dispose(mine);
  });

  it('rejects a batch without x, naming the batch', async () => {
    const model = compiledClassifier();
    const stream = reiterable(() => [{ x: data.x, y: data.y }, { y: data.y } as unknown as StreamBatch]);
    await expect(model.fit(stream, { verbose: 0 })).rejects.toThrow('batch 1 of the stream has no x: yield { x, y } or [x, y]');
  });

  it('frees the tensors it makes from plain arrays: the count stays put across epochs and fits', async () => {
    setSeed(7);
    const model = compiledClassifier();
    const stream = reiterable(() =>
      parts.map((b) => ({ x: b.x, y: b.y, sampleWeight: { data: new Float32Array(b.y.shape[0]).fill(1), shape: [b.y.shape[0]] } })),
    );
    const valStream = reiterable(() => parts.map((b) => [b.x, b.y]));
    // The first fit creates the optimizer's slots.
    await model.fit(stream, { epochs: 1, verbose: 0 });
    const counts: number[] = [];
    class Count extends Callback {
      override onEpochEnd(): void {
        counts.push(tf.memory().numTensors);
      }
    }
    const before = tf.memory().numTensors;
    await model.fit(stream, { epochs: 3, validationData: valStream, classWeight: { 0: 2, 1: 1 }, verbose: 0, callbacks: [new Count()] });
    // Constant through the epochs (fit holds the class-weight tensor while it runs), and back to the start after.
    expect(counts).toHaveLength(3);
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]!).toBeLessThanOrEqual(before + 1);
    expect(tf.memory().numTensors).toBe(before);
    await model.evaluate(valStream);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('hands its batches to a custom trainStep as tensors', async () => {
    const model = batchSpy();
    const history = await model.fit(
      reiterable(() => [{ x: data.x, y: { data: [7], shape: [1] } }]),
      { verbose: 0 },
    );
    expect(model.seen).toEqual([7]);
    expect(history.history['loss']).toEqual([7]);
  });
});

describe('evaluate on a stream', () => {
  it('gives what evaluate gives on the same arrays, whatever the batching and batch form', async () => {
    setSeed(8);
    const model = compiledClassifier();
    const data = separable(23, 8);
    await model.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0 });
    const expected = await model.evaluate(data.x, data.y);

    const asTuples = await model.evaluate(reiterable(() => chunks(data, 7).map((b) => [b.x, b.y])));
    async function* oneShot(): AsyncGenerator<StreamBatch> {
      for (const b of chunks(data, 4)) yield { x: b.x, y: b.y };
    }
    const fromGenerator = await model.evaluate(oneShot());
    for (const result of [asTuples, fromGenerator]) {
      expect(Object.keys(result)).toEqual(['loss', 'accuracy']);
      expect(result['loss']!).toBeCloseTo(expected['loss']!, 5);
      expect(result['accuracy']!).toBeCloseTo(expected['accuracy']!, 5);
    }
  });

  it('weighs by the sampleWeight of its batches', async () => {
    setSeed(9);
    const model = compiledClassifier();
    const data = separable(10, 9);
    const weights = { data: [1, 0, 2, 0, 1, 0, 3, 0, 1, 1], shape: [10] };
    const expected = await model.evaluate(data.x, data.y, { sampleWeight: weights });
    const result = await model.evaluate(reiterable(() => [{ x: data.x, y: data.y, sampleWeight: weights }]));
    expect(result['loss']!).toBeCloseTo(expected['loss']!, 5);
    const unweighted = await model.evaluate(data.x, data.y);
    expect(Math.abs(unweighted['loss']! - expected['loss']!)).toBeGreaterThan(1e-4);
  });

  it('fails clearly on a stream that yields no batches, rather than returning no values', async () => {
    const model = compiledClassifier();
    const result = await model.evaluate(reiterable(() => [])).catch((err: unknown) => err);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/no batches/);
  });

  it('rejects evaluate options it does not know', async () => {
    const model = compiledClassifier();
    const data: ModelData = separable(4).x;
    await expect(
      model.evaluate(
        reiterable(() => [[data, separable(4).y]]),
        { steps: 2 } as never,
      ),
    ).rejects.toThrow('evaluate: unknown option steps');
  });
});

describe('fit on arrays with stepsPerEpoch', () => {
  // Six samples labelled 0–5 at batch size 2: three batches; the spy records the labels each step gets.
  const x: ShapedArray = { data: new Float32Array(12), shape: [6, 2] };
  const y: ShapedArray = { data: Float32Array.from([0, 1, 2, 3, 4, 5]), shape: [6] };

  it('ends each epoch after stepsPerEpoch batches, as Keras does', async () => {
    const model = batchSpy();
    const params = new ParamsRecorder();
    await model.fit(x, y, { epochs: 3, batchSize: 2, stepsPerEpoch: 2, shuffle: false, verbose: 0, callbacks: [params] });
    expect(model.seen).toEqual([0, 2, 0, 2, 0, 2]);
    expect(params.steps).toEqual([2, 2, 2]);
  });

  it('runs every batch without it', async () => {
    const model = batchSpy();
    await model.fit(x, y, { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    expect(model.seen).toEqual([0, 2, 4]);
  });

  it('refuses more steps than the data has batches, naming both', async () => {
    const model = batchSpy();
    await expect(model.fit(x, y, { epochs: 1, batchSize: 2, stepsPerEpoch: 4, verbose: 0 })).rejects.toThrow(
      'stepsPerEpoch 4 is more than the 3 batches of 6 training samples at batch size 2',
    );
  });
});
