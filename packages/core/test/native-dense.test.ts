// Dense as TensorFlow's 2-D MatMul (+ BiasAdd, + Relu), with native gradients, against tfjs-layers' Dense.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { GraphFunction, layers, loadModel, sequential, setSeed, tf } from '../src/index.js';
import { NativeDense } from '../src/native/native-dense-layer.js';
import { layerGradients, maxAbsDiff, tempDir } from './helpers.js';

type DenseArgs = Parameters<typeof layers.dense>[0];

/** A built layers.dense on `[5, 7]` inputs, with random weights (a non-trivial bias included). */
function randomDense(args: Partial<DenseArgs>): NativeDense {
  const layer = layers.dense({ units: 6, ...args } as DenseArgs) as NativeDense;
  expect(layer).toBeInstanceOf(NativeDense);
  tf.dispose(layer.apply(tf.zeros([1, 7])) as Tensor);
  layer.setWeights(layer.getWeights().map((w) => tf.tidy(() => tf.randomNormal(w.shape, 0, 0.5))));
  return layer;
}

function outputAndGradients(layer: NativeDense, native: boolean, x: Variable): { y: Tensor; grads: Tensor[] } {
  layer.nativeKernel = native;
  const before = [layer.nativeCalls, layer.genericCalls];
  const result = layerGradients(layer, x, 3);
  expect([layer.nativeCalls - before[0]!, layer.genericCalls - before[1]!]).toEqual(native ? [1, 0] : [0, 1]);
  return result;
}

describe('native Dense kernel', () => {
  const cases: Array<Partial<DenseArgs>> = [
    { activation: 'relu' },
    { activation: 'linear' },
    { activation: 'softmax' },
    { activation: 'tanh', useBias: false },
    { activation: 'relu', useBias: false },
  ];
  for (const args of cases) {
    it(`${JSON.stringify(args)}: outputs and gradients equal tfjs's Dense within 1e-5`, () => {
      setSeed(1);
      const layer = randomDense(args);
      const x = tf.variable(tf.randomNormal([5, 7]));
      const native = outputAndGradients(layer, true, x);
      const generic = outputAndGradients(layer, false, x);
      expect(native.grads).toHaveLength(args.useBias === false ? 2 : 3);
      expect(maxAbsDiff(native.y, generic.y)).toBeLessThan(1e-5);
      for (const [i, g] of native.grads.entries()) expect(maxAbsDiff(g, generic.grads[i]!)).toBeLessThan(1e-5);
      // ReLU clipped something, so its gradient mattered.
      if (args.activation === 'relu') expect(native.y.dataSync().some((v) => v === 0)).toBe(true);
      tf.dispose([x, native.y, generic.y, ...native.grads, ...generic.grads]);
    });
  }

  it("runs tfjs's Dense on inputs of rank 3 (a Dense over a sequence)", () => {
    const layer = layers.dense({ units: 2 }) as NativeDense;
    const y = layer.apply(tf.ones([2, 3, 4])) as Tensor;
    expect(y.shape).toEqual([2, 3, 2]);
    expect([layer.nativeCalls, layer.genericCalls]).toEqual([0, 1]);
    y.dispose();
  });

  it('gives the same outputs as a graph as eagerly, and leaks nothing', () => {
    setSeed(4);
    const layer = randomDense({ activation: 'relu' });
    const x = tf.randomNormal([5, 7]);
    const eager = layer.apply(x) as Tensor;
    const before = tf.memory().numTensors;
    const fn = new GraphFunction(([input]) => [layer.apply(input!) as Tensor], 'dense');
    for (let i = 0; i < 5; i++) {
      const [y] = fn.run([x]);
      expect(maxAbsDiff(y!, eager)).toBeLessThan(1e-6);
      y!.dispose();
    }
    expect(fn.calls.graph).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, eager]);
  });

  it('a saved model stays a plain Dense in model.json, and loads back with the native kernel', async () => {
    setSeed(2);
    const net = sequential([layers.dense({ units: 3, activation: 'relu', inputShape: [4] }), layers.dense({ units: 1 })]);
    net.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const dir = join(await tempDir(), 'dense');
    await net.save(dir);
    const json = await readFile(join(dir, 'model.json'), 'utf8');
    expect(json).toContain('"class_name":"Dense"');
    expect(json).not.toContain('Native');
    const loaded = await loadModel(dir);
    expect(loaded.net.layers[0]).toBeInstanceOf(NativeDense);
    const x = tf.randomNormal([3, 4]);
    expect(maxAbsDiff(loaded.predict(x), net.predict(x))).toBeLessThan(1e-6);
    expect((loaded.net.layers[0] as NativeDense).nativeCalls).toBeGreaterThan(0);
  });
});
