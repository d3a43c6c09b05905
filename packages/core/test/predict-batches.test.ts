import { describe, expect, it } from 'vitest';
import { layers, sequential, tf } from '../src/index.js';
import { predictBatches, SPLIT_BATCHES } from '../src/training/predict-batches.js';

/** `n` rows of `width` values numbered in order, so a batch shows which rows it holds. */
const numbered = (n: number, width: number) => tf.range(0, n * width).reshape([n, width]);

describe('predictBatches', () => {
  it('yields every row once, in order, batchSize at a time, across chunks of SPLIT_BATCHES batches', () => {
    const batchSize = 3;
    const n = batchSize * SPLIT_BATCHES * 2 + 5; // two full chunks, then a chunk of one full batch and a short one
    const a = numbered(n, 2);
    const b = numbered(n, 1).toInt();
    const sizes: number[] = [];
    const rowsA: number[][] = [];
    const rowsB: number[] = [];
    for (const [x, y] of predictBatches([a, b], batchSize)) {
      sizes.push(x!.shape[0]!);
      expect(y!.shape[0]).toBe(x!.shape[0]);
      expect(y!.dtype).toBe('int32');
      rowsA.push(...(x!.arraySync() as number[][]));
      rowsB.push(...(y!.arraySync() as number[][]).map((r) => r[0]!));
    }
    expect(sizes).toEqual([...new Array(2 * SPLIT_BATCHES + 1).fill(batchSize), 2]);
    expect(rowsA).toEqual(a.arraySync());
    expect(rowsB).toEqual(Array.from({ length: n }, (_, i) => i));
    tf.dispose([a, b]);
  });

  it('yields an input that fits one batch as it is', () => {
    const a = numbered(4, 2);
    const batches = [...predictBatches([a], 4)];
    expect(batches).toHaveLength(1);
    expect(batches[0]![0]).toBe(a);
    a.dispose();
  });

  it('disposes every batch it made, when the loop ends and when it stops early', () => {
    const a = numbered(100, 3);
    const before = tf.memory().numTensors;
    for (const batch of predictBatches([a], 7)) expect(batch[0]!.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    for (const _ of predictBatches([a], 7)) break;
    expect(tf.memory().numTensors).toBe(before);
    expect(a.isDisposed).toBe(false);
    a.dispose();
  });
});

describe('predict across chunks', () => {
  it('returns zero rows for zero samples', () => {
    const model = sequential([layers.dense({ units: 2, inputShape: [3] })]);
    const x = tf.zeros([0, 3]);
    const y = model.predict(x);
    expect(y.shape).toEqual([0, 2]);
    tf.dispose([x, y]);
  });

  it('gives each sample its own output, in order, when the batches span several Split chunks', () => {
    const model = sequential([layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'glorotUniform' })]);
    const n = 2 * SPLIT_BATCHES + 3;
    const x = tf.randomNormal([n, 3]);
    const batched = model.predict(x, { batchSize: 2 });
    const whole = model.predict(x, { batchSize: n });
    expect(batched.shape).toEqual([n, 2]);
    const [kernel, bias] = model.net.getWeights();
    const expected = tf.add(tf.matMul(x, kernel!), bias!);
    expect(tf.max(tf.abs(tf.sub(batched, expected))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(batched, whole))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, batched, whole, expected]);
  });
});
