// dl's MaxPool and GatherV2 kernels replace tfjs-node's for every caller in the process (importing dl installs them),
// so they must give exactly tfjs-node's results for every input tfjs accepts, and fail where it fails. Checked here
// against tfjs-node's own kernels over a sweep of shapes, attributes, dtypes and special values.
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendInfo, tf } from '../src/index.js';
import { installNativeKernels, nativeKernelCalls, tfjsKernels } from '../src/native/native-kernels.js';
import { rng } from './helpers.js';

installNativeKernels();

/** tfjs-node's own kernel `name` on `inputs`/`attrs`: the reference. */
function reference(name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>): Tensor {
  return tfjsKernels[name]!.kernelFunc({ inputs, attrs: attrs as never, backend: tf.backend() }) as Tensor;
}

/** Exact equality, NaN equal to NaN and -0 to 0 (as `toEqual` on plain arrays would not). */
function expectSame(actual: Tensor, expected: Tensor): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  const a = Array.from(actual.dataSync() as ArrayLike<number>, String);
  const e = Array.from(expected.dataSync() as ArrayLike<number>, String);
  expect(a).toEqual(e);
}

/** Random values with NaN, ±Infinity, ±0 and ties mixed in: where max pooling could differ, if anywhere. */
function awkwardValues(n: number, random: () => number): Float32Array {
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1, 1, -1];
  return Float32Array.from({ length: n }, () => (random() < 0.3 ? specials[Math.floor(random() * specials.length)]! : random() * 4 - 2));
}

describe('native kernels', () => {
  it('runs on the native backend', () => {
    expect(backendInfo().backend).toBe('tensorflow');
  });

  it("MaxPool: oneDNN's kernel gives tfjs-node's values over 200 random shapes, windows, strides and paddings", () => {
    const random = rng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const before = nativeKernelCalls.maxPool;
    for (let trial = 0; trial < 200; trial++) {
      const filterSize: [number, number] = [int(1, 4), int(1, 4)];
      const strides: [number, number] = [int(1, 3), int(1, 3)];
      const pad = random() < 0.5 ? 'valid' : 'same';
      const shape = [int(1, 3), int(filterSize[0], 9), int(filterSize[1], 9), int(1, 5)] as [number, number, number, number];
      tf.tidy(() => {
        const x = tf.tensor4d(
          awkwardValues(
            shape.reduce((a, b) => a * b),
            random,
          ),
          shape,
        );
        expectSame(tf.maxPool(x, filterSize, strides, pad), reference('MaxPool', { x }, { filterSize, strides, pad }));
      });
    }
    expect(nativeKernelCalls.maxPool).toBe(before + 200);
  });

  it("MaxPool: numeric padding, which tfjs-node rejects, goes to tfjs-node's kernel and fails as it does", () => {
    const x = tf.randomUniform([1, 7, 7, 2], -1, 1, 'float32', 3) as Tensor4D;
    const before = nativeKernelCalls.maxPool;
    const message = /supports only 'valid' and 'same' padding/;
    expect(() => reference('MaxPool', { x }, { filterSize: 3, strides: 2, pad: 1, dimRoundingMode: 'floor' })).toThrow(message);
    expect(() => tf.maxPool(x, 3, 2, 1, 'floor')).toThrow(message);
    expect(nativeKernelCalls.maxPool).toBe(before);
    x.dispose();
  });

  it("GatherV2: TensorFlow's kernel, run directly, gives tfjs-node's values for every dtype, axis, batchDims and index shape", () => {
    const random = rng(11);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const before = nativeKernelCalls.gather;
    let trials = 0;
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (let trial = 0; trial < 40; trial++) {
        const rank = int(1, 4);
        const shape = Array.from({ length: rank }, () => int(1, 4));
        const batchDims = int(0, rank - 1);
        const axis = int(batchDims, rank - 1);
        const indexShape = [...shape.slice(0, batchDims), ...Array.from({ length: int(0, 2) }, () => int(0, 3))];
        tf.tidy(() => {
          const size = shape.reduce((a, b) => a * b, 1);
          const values = Array.from({ length: size }, () => (dtype === 'float32' ? random() * 10 - 5 : int(-9, 9)));
          const x =
            dtype === 'bool'
              ? tf.tensor(
                  values.map((v) => v > 0),
                  shape,
                  'bool',
                )
              : tf.tensor(values, shape, dtype);
          const count = indexShape.reduce((a, b) => a * b, 1);
          const indices = tf.tensor(
            Array.from({ length: count }, () => int(0, shape[axis]! - 1)),
            indexShape,
            'int32',
          );
          // tfjs's public op, with the axis as the user gives it (negative too), against tfjs-node's kernel.
          const userAxis = random() < 0.5 ? axis : axis - rank;
          expectSame(tf.gather(x, indices, userAxis, batchDims), reference('GatherV2', { x, indices }, { axis, batchDims }));
        });
        trials++;
      }
    }
    expect(nativeKernelCalls.gather).toBe(before + trials);
  });

  it('GatherV2: an index out of range fails, as it does with tfjs-node, naming the index', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    for (const bad of [3, -1]) {
      const indices = tf.tensor1d([0, bad], 'int32');
      expect(() => reference('GatherV2', { x, indices }, { axis: 0, batchDims: 0 }).dataSync()).toThrow();
      expect(() => tf.gather(x, indices).dataSync()).toThrow(new RegExp(`indices\\[1\\] = ${bad} is not in \\[0, 3\\)`));
      indices.dispose();
    }
    x.dispose();
  });
});
