// BatchNormalization while training as TensorFlow's FusedBatchNormV3 (+ FusedBatchNormGradV3) against tfjs's own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, sequential, setSeed, tf } from '../src/index.js';
import { FusedBatchNormalization } from '../src/native/fused-batch-norm-layer.js';
import { fusedBatchNormAvailable } from '../src/native/fused-batch-norm.js';
import { layerGradients, maxAbsDiff, tempDir } from './helpers.js';

/** A built layers.batchNormalization for inputs of `shape`, with random gamma/beta and non-trivial moving statistics. */
function randomBatchNorm(shape: number[], momentum = 0.9): FusedBatchNormalization {
  const layer = layers.batchNormalization({ momentum }) as FusedBatchNormalization;
  expect(layer).toBeInstanceOf(FusedBatchNormalization);
  tf.dispose(layer.apply(tf.zeros([1, ...shape.slice(1)])) as Tensor);
  const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.shape);
  layer.setWeights([tf.randomUniform(gamma!, 0.5, 2), tf.randomNormal(beta!), tf.randomNormal(mean!), tf.randomUniform(variance!, 0.5, 2)]);
  return layer;
}

/** One training call: output, gradients of a random projection w.r.t. x, gamma and beta, and the moving statistics after. */
function trainingCall(layer: FusedBatchNormalization, fused: boolean, x: Variable): { y: Tensor; grads: Tensor[]; moving: Tensor[] } {
  layer.fusedKernel = fused;
  const before = [layer.fusedCalls, layer.genericCalls];
  // getWeights gives the variables themselves: copies, to restore.
  const saved = layer.getWeights().map((w) => w.clone());
  const { y, grads } = layerGradients(layer, x, 3);
  expect([layer.fusedCalls - before[0]!, layer.genericCalls - before[1]!]).toEqual(fused ? [1, 0] : [0, 1]);
  const moving = layer
    .getWeights()
    .slice(2)
    .map((w) => w.clone());
  layer.setWeights(saved);
  tf.dispose(saved);
  return { y, grads, moving };
}

describe('fused BatchNormalization kernel', () => {
  it('runs on the native backend', () => {
    expect(fusedBatchNormAvailable()).toBe(true);
  });

  for (const shape of [
    [6, 5, 4, 3],
    [16, 7],
  ]) {
    it(`rank ${shape.length}: outputs, gradients and moving statistics equal tfjs's within 1e-4`, () => {
      setSeed(1);
      const layer = randomBatchNorm(shape);
      // Far from zero mean and unit variance, so the normalisation matters.
      const x = tf.variable(tf.randomNormal(shape, 3, 2));
      const fused = trainingCall(layer, true, x);
      const generic = trainingCall(layer, false, x);
      expect(maxAbsDiff(fused.y, generic.y)).toBeLessThan(1e-4);
      fused.grads.forEach((g, i) => expect(maxAbsDiff(g, generic.grads[i]!)).toBeLessThan(1e-4));
      fused.moving.forEach((m, i) => expect(maxAbsDiff(m, generic.moving[i]!)).toBeLessThan(1e-4));
      // The moving mean moved towards the batch's (≈ 3) by 1 − momentum.
      const [before] = layer.getWeights().slice(2);
      expect(maxAbsDiff(fused.moving[0]!, before!)).toBeGreaterThan(0.1);
      // The output is normalised per channel: mean ≈ beta.
      const channelMeans = tf.mean(tf.reshape(fused.y, [-1, shape.at(-1)!]), 0);
      expect(maxAbsDiff(channelMeans, layer.getWeights()[1]!)).toBeLessThan(1e-3);
      tf.dispose([x, fused.y, generic.y, ...fused.grads, ...generic.grads, ...fused.moving, ...generic.moving, channelMeans]);
    });
  }

  it("falls back to tfjs's implementation for other ranks and at inference, and says why", () => {
    const layer = randomBatchNorm([2, 3, 4]);
    const x = tf.randomNormal([2, 3, 4]);
    expect(layer.fusedBlocker(x)).toMatch(/rank 3/);
    const before = layer.genericCalls;
    tf.dispose(layer.apply(x, { training: true }) as Tensor);
    expect(layer.genericCalls).toBe(before + 1);
    // Inference uses the moving statistics through tfjs's path, counted as neither.
    const counts = [layer.fusedCalls, layer.genericCalls];
    tf.dispose(layer.apply(x) as Tensor);
    expect([layer.fusedCalls, layer.genericCalls]).toEqual(counts);
    x.dispose();
  });

  it('a saved model stays a plain BatchNormalization in model.json, and loads back with the fused kernel', async () => {
    setSeed(2);
    const net = sequential([layers.dense({ units: 4, inputShape: [3] }), layers.batchNormalization()]);
    net.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await net.fit(tf.randomNormal([16, 3]), tf.randomNormal([16, 4]), { epochs: 1, batchSize: 8, verbose: 0 });
    expect((net.net.layers[1] as FusedBatchNormalization).fusedCalls).toBe(2);
    const dir = join(await tempDir(), 'bn');
    await net.save(dir);
    const json = await readFile(join(dir, 'model.json'), 'utf8');
    expect(json).toContain('"class_name":"BatchNormalization"');
    expect(json).not.toContain('Fused');
    const loaded = await loadModel(dir);
    expect(loaded.net.layers[1]).toBeInstanceOf(FusedBatchNormalization);
    const x = tf.randomNormal([5, 3]);
    expect(maxAbsDiff(loaded.predict(x), net.predict(x))).toBeLessThan(1e-6);
  });
});
