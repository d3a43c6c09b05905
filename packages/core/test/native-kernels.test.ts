// oneDNN's max pooling in place of tfjs-node's MaxPool kernel, against that kernel.
import type { Tensor, Tensor4D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendInfo, tf } from '../src/index.js';
import { installNativeKernels, nativeKernelCalls, tfjsKernels } from '../src/native/native-kernels.js';

installNativeKernels();

describe('native kernels', () => {
  it('runs on the native backend', () => {
    expect(backendInfo().backend).toBe('tensorflow');
  });

  it.each([
    ['valid 2×2', [2, 7, 9, 3], 2, 2, 'valid'],
    ['same 3×3 stride 2', [2, 8, 8, 4], 3, 2, 'same'],
    ['valid 3×3 stride 1', [1, 6, 5, 2], 3, 1, 'valid'],
  ] as const)("MaxPool runs oneDNN's kernel with tfjs-node's values (%s)", (_name, shape, filterSize, strides, pad) => {
    const x = tf.randomUniform([...shape], -1, 1, 'float32', 3) as Tensor4D;
    const before = nativeKernelCalls.maxPool;
    const y = tf.maxPool(x, filterSize, strides, pad);
    expect(nativeKernelCalls.maxPool).toBe(before + 1);
    const reference = tfjsKernels['MaxPool']!.kernelFunc({
      inputs: { x },
      attrs: { filterSize, strides, pad },
      backend: tf.backend(),
    }) as Tensor;
    expect(y.shape).toEqual(reference.shape);
    expect(Array.from(y.dataSync())).toEqual(Array.from(reference.dataSync()));
    tf.dispose([x, y, reference]);
  });
});
