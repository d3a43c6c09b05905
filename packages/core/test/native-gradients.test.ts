// TensorFlow's single-kernel ReLU and LeakyReLU gradients and oneDNN's max-pool gradient against tfjs's own gradient functions.
import type { GradConfig, Tensor, Tensor4D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendInfo, tf } from '../src/index.js';
import { installNativeGradients, nativeGradientCalls, tfjsGradients } from '../src/native/native-gradients.js';
import { maxAbsDiff } from './helpers.js';

installNativeGradients();

/** tfjs-core's own gradient (which dl's replaces), evaluated directly. */
function tfjsGradient(config: GradConfig, dy: Tensor, saved: Tensor[], attrs: Record<string, unknown>): Tensor {
  return (config.gradFunc(dy, saved, attrs as never) as Record<string, () => Tensor>).x!();
}

describe('native gradients', () => {
  it('runs on the native backend', () => {
    expect(backendInfo().backend).toBe('tensorflow');
  });

  it("ReLU's gradient is tfjs's, through one TensorFlow kernel", () => {
    const x = tf.tensor2d([
      [-2, -0.5, 0, 0.5],
      [3, -1, 1e-8, -1e-8],
    ]);
    const dy = tf.randomNormal([2, 4], 0, 1, 'float32', 7);
    const before = nativeGradientCalls.relu;
    const [native] = tf.grads((t: Tensor) => tf.sum(tf.mul(tf.relu(t), dy)))([x]);
    expect(nativeGradientCalls.relu).toBe(before + 1);
    const reference = tfjsGradient(tfjsGradients.Relu!, dy, [x], {});
    expect(maxAbsDiff(native!, reference)).toBe(0);
    // dy where x > 0, else zero (`+ 0` turns TensorFlow's -0 into 0).
    expect(Array.from(native!.dataSync(), (v) => v + 0)).toEqual(Array.from(dy.dataSync(), (v, i) => ([3, 4, 6].includes(i) ? v : 0)));
    tf.dispose([x, dy, native!, reference]);
  });

  it("LeakyReLU's gradient is tfjs's, through one TensorFlow kernel", () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3, -1e-3, 7]);
    const dy = tf.randomNormal([7], 0, 1, 'float32', 4);
    const before = nativeGradientCalls.leakyRelu;
    const [native] = tf.grads((t: Tensor) => tf.sum(tf.mul(tf.leakyRelu(t, 0.2), dy)))([x]);
    expect(nativeGradientCalls.leakyRelu).toBe(before + 1);
    const reference = tfjsGradient(tfjsGradients.LeakyRelu!, dy, [x], { alpha: 0.2 });
    expect(maxAbsDiff(native!, reference)).toBe(0);
    // dy above zero, 0.2 · dy at or below it.
    const d = dy.dataSync();
    Array.from(native!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([3, 4, 6].includes(i) ? d[i]! : 0.2 * d[i]!, 6));
    tf.dispose([x, dy, native!, reference]);
  });

  it.each([
    ['valid 2×2', [2, 7, 9, 3], 2, 2, 'valid'],
    ['same 3×3 stride 2', [2, 8, 8, 4], 3, 2, 'same'],
    ['valid 3×3 stride 1', [1, 6, 5, 2], 3, 1, 'valid'],
  ] as const)("MaxPool's gradient is tfjs's (%s)", (_name, shape, filterSize, strides, pad) => {
    const x = tf.randomUniform([...shape], -1, 1, 'float32', 3) as Tensor4D;
    const y = tf.maxPool(x, filterSize, strides, pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 5);
    const before = nativeGradientCalls.maxPool;
    const [native] = tf.grads((t: Tensor) => tf.sum(tf.mul(tf.maxPool(t as Tensor4D, filterSize, strides, pad), dy)))([x]);
    expect(nativeGradientCalls.maxPool).toBe(before + 1);
    const reference = tfjsGradient(tfjsGradients.MaxPool!, dy, [x, y], { filterSize, strides, pad });
    // Overlapping windows sum several contributions per input, in another order.
    expect(maxAbsDiff(native!, reference)).toBeLessThan(1e-6);
    tf.dispose([x, y, dy, native!, reference]);
  });

  it('MaxPool passes the gradient to the first maximum of a window, as TensorFlow does (ReLU zeros tie often)', () => {
    const x = tf.tensor4d([0, 0, 1, 1, 0, 0, 2, 2, 5, 3, 0, 4, 5, 5, 4, 4], [1, 4, 4, 1]);
    const [g] = tf.grads((t: Tensor) => tf.sum(tf.maxPool(t as Tensor4D, 2, 2, 'valid')))([x]);
    expect(Array.from(g!.dataSync())).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
    tf.dispose([x, g!]);
  });
});
