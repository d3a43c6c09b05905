// Dropout's mask from TensorFlow's stateless Philox kernels: its statistics, scaling, gradient and fallbacks.
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layers, setSeed, tf } from '../src/index.js';
import { NativeDropout } from '../src/native/native-dropout-layer.js';
import { nativeDropoutAvailable } from '../src/native/native-dropout.js';

function dropoutLayer(args: Parameters<typeof layers.dropout>[0]): NativeDropout {
  const layer = layers.dropout(args) as NativeDropout;
  expect(layer).toBeInstanceOf(NativeDropout);
  return layer;
}

describe('native dropout', () => {
  it('runs on the native backend', () => {
    expect(nativeDropoutAvailable()).toBe(true);
  });

  it('zeroes a rate fraction of the inputs and scales the rest by 1/(1 − rate), with a new mask on every call', () => {
    setSeed(1);
    const layer = dropoutLayer({ rate: 0.3 });
    const x = tf.ones([200, 500]);
    const first = layer.apply(x, { training: true }) as Tensor;
    const second = layer.apply(x, { training: true }) as Tensor;
    expect(layer.nativeCalls).toBe(2);
    const values = first.dataSync();
    const zeros = values.filter((v) => v === 0).length / values.length;
    expect(zeros).toBeGreaterThan(0.29);
    expect(zeros).toBeLessThan(0.31);
    expect(values.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    expect(maxOf(tf.abs(tf.sub(first, second)))).toBeGreaterThan(0);
    tf.dispose([x, first, second]);
  });

  it('draws a mask of an odd size from 16-bit halves at rate 0.3: each half drops 0.3, independently of its twin', () => {
    setSeed(4);
    const layer = dropoutLayer({ rate: 0.3 });
    const n = 1_000_001;
    const x = tf.ones([n]);
    const y = layer.apply(x, { training: true }) as Tensor;
    const values = y.dataSync();
    tf.dispose([x, y]);
    // Value i and value i + ⌈n/2⌉ come from the high and low halves of one random int32.
    const half = Math.ceil(n / 2);
    const dropped = (from: number, to: number) => values.subarray(from, to).filter((v) => v === 0).length / (to - from);
    let both = 0;
    for (let i = 0; i + half < n; i++) if (values[i] === 0 && values[i + half] === 0) both++;
    // Standard errors: 0.0005 over all values, 0.0006 per half, 0.0004 for both (0.09).
    expect(Math.abs(dropped(0, n) - 0.3)).toBeLessThan(0.0025);
    expect(Math.abs(dropped(0, half) - 0.3)).toBeLessThan(0.003);
    expect(Math.abs(dropped(half, n) - 0.3)).toBeLessThan(0.003);
    expect(Math.abs(both / (n - half) - 0.09)).toBeLessThan(0.002);
  });

  it('draws a rate that 16 bits cannot hold (3e-6) from 32-bit floats, as Keras', () => {
    setSeed(5);
    const layer = dropoutLayer({ rate: 3e-6 });
    const x = tf.ones([4_000_000]);
    const y = layer.apply(x, { training: true }) as Tensor;
    const values = y.dataSync();
    tf.dispose([x, y]);
    // 12 expected; with 16 bits the threshold would round to 0 and drop none.
    expect(values.filter((v) => v === 0).length).toBeGreaterThan(0);
  });

  it('passes its mask (scaled) back as the gradient', () => {
    setSeed(2);
    const layer = dropoutLayer({ rate: 0.5 });
    const x = tf.randomNormal([8, 16]);
    let y: Tensor | undefined;
    const dx = tf.grad((input: Tensor) => {
      y = tf.keep(layer.apply(input, { training: true }) as Tensor);
      return tf.sum(y) as Scalar;
    })(x);
    // y = x · mask / keep, so d(sum y)/dx = mask / keep = y / x.
    expect(maxOf(tf.abs(tf.sub(tf.mul(dx, x), y!)))).toBeLessThan(1e-5);
    expect(dx.dataSync().some((v) => v === 0)).toBe(true);
    expect(dx.dataSync().some((v) => v === 2)).toBe(true);
    tf.dispose([x, y!, dx]);
  });

  it('keeps only its output and a bool mask for the backward pass', () => {
    const layer = dropoutLayer({ rate: 0.3 });
    const x = tf.ones([100, 100]);
    let kept = 0;
    const dx = tf.grad((input: Tensor) => {
      const before = tf.memory().numBytes;
      const y = layer.apply(input, { training: true }) as Tensor;
      kept = tf.memory().numBytes - before;
      return tf.sum(y) as Scalar;
    })(x);
    // 4 bytes per output value and 1 per mask value; a float mask built in steps (uniform, floor, …) kept ≥ 12.
    expect(kept).toBe(5 * x.size);
    tf.dispose([x, dx]);
  });

  it('broadcasts one mask of noiseShape', () => {
    const layer = dropoutLayer({ rate: 0.5, noiseShape: [4, 1, 6] });
    const y = layer.apply(tf.ones([4, 10, 6]), { training: true }) as Tensor;
    const rows = y.arraySync() as number[][][];
    for (const sample of rows) for (const step of sample) expect(step).toEqual(sample[0]);
    expect(layer.nativeCalls).toBe(1);
    y.dispose();
  });

  it("is the identity at inference, and leaves a fixed seed to tfjs's implementation", () => {
    const x = tf.randomNormal([4, 8]);
    const layer = dropoutLayer({ rate: 0.5 });
    const inference = layer.apply(x) as Tensor;
    expect(maxOf(tf.abs(tf.sub(inference, x)))).toBe(0);
    expect([layer.nativeCalls, layer.genericCalls]).toEqual([0, 0]);
    const seeded = dropoutLayer({ rate: 0.5, seed: 3 });
    tf.dispose(seeded.apply(x, { training: true }) as Tensor);
    expect([seeded.nativeCalls, seeded.genericCalls]).toEqual([0, 1]);
    tf.dispose([x, inference]);
  });
});

function maxOf(t: Tensor): number {
  const value = tf.max(t).dataSync()[0]!;
  t.dispose();
  return value;
}
