// Conv2DTranspose on TensorFlow's kernels (an image-sized output on the Eigen one) against tfjs-layers' own, and the
// convolution input gradient's kernel choice (native/conv-input-gradient.ts) behind it and behind FusedConv2D.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, sequential, setSeed, tf } from '../src/index.js';
import { explicitPaddings } from '../src/native/conv-attrs.js';
import { NativeConv2DTranspose } from '../src/native/conv2d-transpose-layer.js';
import { convInputGradientCalls, EIGEN_MAX_CHANNELS } from '../src/native/conv-input-gradient.js';
import type { FusedConv2D } from '../src/native/fused-conv2d-layer.js';
import { layerGradients, maxAbsDiff, tempDir } from './helpers.js';

type TransposeArgs = Parameters<typeof layers.conv2dTranspose>[0];

/** A built layers.conv2dTranspose on `inputShape` inputs, with random weights (a non-trivial bias included). */
function randomTranspose(args: Partial<TransposeArgs>, inputShape: number[]): NativeConv2DTranspose {
  const layer = layers.conv2dTranspose({ filters: 1, kernelSize: 3, ...args } as TransposeArgs) as NativeConv2DTranspose;
  expect(layer).toBeInstanceOf(NativeConv2DTranspose);
  tf.dispose(layer.apply(tf.zeros([1, ...inputShape])) as Tensor);
  layer.setWeights(layer.getWeights().map((w) => tf.tidy(() => tf.randomNormal(w.shape, 0, 0.5))));
  return layer;
}

/** Output and gradients (w.r.t. x, kernel, bias) on TensorFlow's kernels or tfjs's, with the kernel calls counted. */
function run(layer: NativeConv2DTranspose, native: boolean, x: Variable) {
  layer.nativeKernel = native;
  const before = { native: layer.nativeCalls, generic: layer.genericCalls, ...convInputGradientCalls };
  const result = layerGradients(layer, x, 7);
  expect([layer.nativeCalls - before.native, layer.genericCalls - before.generic]).toEqual(native ? [1, 0] : [0, 1]);
  return { ...result, eigen: convInputGradientCalls.eigen - before.eigen, oneDnn: convInputGradientCalls.oneDnn - before.oneDnn };
}

describe('Conv2DTranspose on TensorFlow kernels', () => {
  const cases: Array<[Partial<TransposeArgs>, number[]]> = [
    [{ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }, [7, 7, 6]],
    [{ filters: 3, kernelSize: 5, strides: 2, padding: 'same' }, [5, 4, 4]],
    [{ filters: 1, kernelSize: 3, strides: 2, padding: 'valid' }, [4, 5, 3]],
    [{ filters: 2, kernelSize: 2, strides: 3, padding: 'valid', useBias: false }, [3, 3, 2]],
    [{ filters: 4, kernelSize: [3, 2], strides: [1, 2], padding: 'same', activation: 'relu' }, [5, 6, 3]],
    [{ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }, [4, 4, 5]],
  ];
  for (const [args, inputShape] of cases) {
    it(`${JSON.stringify(args)} on ${JSON.stringify(inputShape)}: outputs and gradients equal tfjs's within 1e-4`, () => {
      setSeed(3);
      const layer = randomTranspose(args, inputShape);
      const x = tf.variable(tf.randomNormal([2, ...inputShape]));
      const native = run(layer, true, x);
      const generic = run(layer, false, x);
      expect(native.y.shape).toEqual(generic.y.shape);
      expect(maxAbsDiff(native.y, generic.y)).toBeLessThan(1e-4);
      expect(native.grads.length).toBe(args.useBias === false ? 2 : 3);
      native.grads.forEach((g, i) => expect(maxAbsDiff(g, generic.grads[i]!)).toBeLessThan(1e-4));
      // The forward pass is the input gradient of a convolution with `filters` input channels.
      const eigen = (args.filters ?? 1) <= EIGEN_MAX_CHANNELS;
      expect([native.eigen, native.oneDnn]).toEqual(eigen ? [1, 0] : [0, 1]);
      tf.dispose([x, native.y, generic.y, ...native.grads, ...generic.grads]);
    });
  }

  it("takes tfjs's Conv2DTranspose for channels-first input", () => {
    const layer = layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, dataFormat: 'channelsFirst' }) as NativeConv2DTranspose;
    const y = layer.apply(tf.ones([1, 2, 3, 3])) as Tensor;
    expect(y.shape).toEqual([1, 1, 6, 6]);
    expect([layer.nativeCalls, layer.genericCalls]).toEqual([0, 1]);
    y.dispose();
  });

  it('a saved model stays a plain Conv2DTranspose in model.json, and loads back on TensorFlow kernels', async () => {
    setSeed(4);
    const net = sequential([layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', inputShape: [4, 4, 2] })]);
    net.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const dir = join(await tempDir(), 'transpose');
    await net.save(dir);
    const json = await readFile(join(dir, 'model.json'), 'utf8');
    expect(json).toContain('"class_name":"Conv2DTranspose"');
    expect(json).not.toContain('Native');
    const loaded = await loadModel(dir);
    const layer = loaded.net.layers[0] as NativeConv2DTranspose;
    expect(layer).toBeInstanceOf(NativeConv2DTranspose);
    const x = tf.randomNormal([3, 4, 4, 2]);
    expect(maxAbsDiff(loaded.predict(x), net.predict(x))).toBeLessThan(1e-6);
    expect(layer.nativeCalls).toBeGreaterThan(0);
  });
});

describe('convolution input gradient', () => {
  it("explicit paddings are TensorFlow's SAME (the odd one after) and VALID's zeros", () => {
    const same = { strides: [2, 2] as [number, number], padding: 'same' as const };
    expect(explicitPaddings([64, 28, 28, 1], [5, 5, 1, 64], same)).toEqual([0, 0, 1, 2, 1, 2, 0, 0]);
    expect(explicitPaddings([64, 28, 28, 1], [4, 4, 1, 96], same)).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    expect(explicitPaddings([1, 10, 9, 3], [3, 3, 3, 8], same)).toEqual([0, 0, 0, 1, 1, 1, 0, 0]);
    expect(explicitPaddings([1, 5, 5, 3], [7, 7, 3, 8], { strides: [1, 1], padding: 'same' })).toEqual([0, 0, 3, 3, 3, 3, 0, 0]);
    expect(explicitPaddings([1, 10, 9, 3], [3, 3, 3, 8], { ...same, padding: 'valid' })).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("a fused Conv2D's input gradient takes the Eigen kernel up to 4 input channels, oneDNN's above; both equal tfjs's", () => {
    for (const channels of [1, 3, 4, 5, 16]) {
      setSeed(5);
      const layer = layers.conv2d({ filters: 6, kernelSize: 5, strides: 2, padding: 'same' }) as FusedConv2D;
      const x = tf.variable(tf.randomNormal([2, 11, 10, channels]));
      tf.dispose(layer.apply(x) as Tensor);
      layer.fusedKernel = true;
      const before = { ...convInputGradientCalls };
      const fused = layerGradients(layer, x, 9);
      const eigen = channels <= EIGEN_MAX_CHANNELS;
      expect([convInputGradientCalls.eigen - before.eigen, convInputGradientCalls.oneDnn - before.oneDnn]).toEqual(eigen ? [1, 0] : [0, 1]);
      layer.fusedKernel = false;
      const generic = layerGradients(layer, x, 9);
      expect(maxAbsDiff(fused.grads[0]!, generic.grads[0]!)).toBeLessThan(1e-4);
      tf.dispose([x, fused.y, generic.y, ...fused.grads, ...generic.grads]);
    }
  });
});
