// Conv2D + bias + ReLU as TensorFlow's one _FusedConv2D kernel (with native gradients) against tfjs-layers' Conv2D.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendInfo, layers, loadModel, sequential, setSeed, tf } from '../src/index.js';
import { FusedConv2D } from '../src/native/fused-conv2d-layer.js';
import { fusedConv2dAvailable } from '../src/native/fused-conv2d.js';
import { layerGradients, maxAbsDiff, tempDir } from './helpers.js';

type ConvArgs = Parameters<typeof layers.conv2d>[0];

/** A built layers.conv2d on `[2, 9, 9, 3]` inputs, with random weights (a non-trivial bias included). */
function randomConv(args: Partial<ConvArgs>): FusedConv2D {
  const layer = layers.conv2d({ filters: 4, kernelSize: 3, ...args } as ConvArgs) as FusedConv2D;
  expect(layer).toBeInstanceOf(FusedConv2D);
  tf.dispose(layer.apply(tf.zeros([1, 9, 9, 3])) as Tensor);
  layer.setWeights(layer.getWeights().map((w) => tf.tidy(() => tf.randomNormal(w.shape, 0, 0.5))));
  return layer;
}

/** The layer's output on `x` and the gradients of a random projection of it, w.r.t. x, kernel and bias. */
function outputAndGradients(layer: FusedConv2D, fused: boolean, x: Variable): { y: Tensor; grads: Tensor[] } {
  layer.fusedKernel = fused;
  const before = [layer.fusedCalls, layer.genericCalls];
  const result = layerGradients(layer, x, 7);
  expect([layer.fusedCalls - before[0]!, layer.genericCalls - before[1]!]).toEqual(fused ? [1, 0] : [0, 1]);
  return result;
}

describe('fused Conv2D kernel', () => {
  it('runs on the native backend (the patched tfjs-node addon passes _FusedConv2D its list attributes)', () => {
    expect(backendInfo().backend).toBe('tensorflow');
    expect(fusedConv2dAvailable()).toBe(true);
  });

  const cases: Array<Partial<ConvArgs>> = [
    { activation: 'relu' },
    { activation: 'linear' },
    { activation: 'relu', padding: 'same' },
    { activation: 'relu', strides: 2, padding: 'same', kernelSize: 5 },
    { strides: [2, 1] },
  ];
  for (const args of cases) {
    it(`${JSON.stringify(args)}: outputs and gradients equal tfjs's Conv2D within 1e-4`, () => {
      setSeed(1);
      const layer = randomConv(args);
      const x = tf.variable(tf.randomNormal([2, 9, 9, 3]));
      const fused = outputAndGradients(layer, true, x);
      const generic = outputAndGradients(layer, false, x);
      expect(maxAbsDiff(fused.y, generic.y)).toBeLessThan(1e-4);
      expect(fused.grads.map((g, i) => maxAbsDiff(g, generic.grads[i]!)).every((d) => d < 1e-4)).toBe(true);
      // ReLU clipped something, so its gradient mattered.
      if (args.activation === 'relu') expect(fused.y.dataSync().some((v) => v === 0)).toBe(true);
      tf.dispose([x, fused.y, generic.y, ...fused.grads, ...generic.grads]);
    });
  }

  it("falls back to tfjs's Conv2D for what the kernel does not take, and says why", () => {
    const x = tf.randomNormal([1, 9, 9, 3]);
    for (const [args, reason] of [
      [{ activation: 'tanh' }, /activation 'tanh'/],
      [{ useBias: false }, /no bias/],
      [{ dilationRate: 2 }, /dilation/],
    ] as const) {
      const layer = randomConv(args);
      expect(layer.fusedBlocker).toMatch(reason);
      const before = layer.genericCalls;
      tf.dispose(layer.apply(x) as Tensor);
      expect(layer.genericCalls).toBe(before + 1);
    }
    x.dispose();
  });

  it('a saved model stays a plain Conv2D in model.json, and loads back with the fused kernel', async () => {
    setSeed(2);
    const net = sequential([layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }), layers.flatten()]);
    net.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const dir = join(await tempDir(), 'conv');
    await net.save(dir);
    const json = await readFile(join(dir, 'model.json'), 'utf8');
    expect(json).toContain('"class_name":"Conv2D"');
    expect(json).not.toContain('Fused');
    const loaded = await loadModel(dir);
    expect(loaded.net.layers[0]).toBeInstanceOf(FusedConv2D);
    const x = tf.randomNormal([3, 6, 6, 1]);
    expect(maxAbsDiff(loaded.predict(x), net.predict(x))).toBeLessThan(1e-6);
    expect((loaded.net.layers[0] as FusedConv2D).fusedCalls).toBeGreaterThan(0);
  });
});
