// The fused sparse softmax cross-entropy from logits against the probability-space loss, alone and inside fit's step.
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { setSeed, sparseCategoricalCrossentropy, tf, type Model } from '../src/index.js';
import { sparseSoftmaxCrossEntropyWithLogits } from '../src/native/sparse-softmax-cross-entropy.js';
import { classifier, maxAbsDiff, separable, weightsOf } from './helpers.js';

describe('sparseSoftmaxCrossEntropyWithLogits', () => {
  it.each([
    ['int32 [n]', 'int32', [12]],
    ['float32 [n, 1]', 'float32', [12, 1]],
  ] as const)('equals the loss on softmax probabilities, with its gradient, within 1e-5 (labels %s)', (_name, dtype, shape) => {
    const logits = tf.mul(tf.randomNormal([12, 5], 0, 1, 'float32', 3), 3) as Tensor2D;
    const labels = tf.tensor(
      Array.from({ length: 12 }, (_, i) => (i * 7) % 5),
      [...shape],
      dtype,
    );
    const dy = tf.randomUniform([12], 0.5, 2, 'float32', 4); // unequal per-sample weights through the gradient
    const fused = (z: Tensor) => tf.sum(tf.mul(sparseSoftmaxCrossEntropyWithLogits(labels, z as Tensor2D), dy));
    const reference = (z: Tensor) => tf.sum(tf.mul(sparseCategoricalCrossentropy(labels, tf.softmax(z)), dy));
    const [a, ga] = [fused(logits), tf.grad(fused)(logits)];
    const [b, gb] = [reference(logits), tf.grad(reference)(logits)];
    expect(Math.abs(a.dataSync()[0]! - b.dataSync()[0]!)).toBeLessThan(1e-5 * Math.abs(b.dataSync()[0]!));
    expect(maxAbsDiff(ga, gb)).toBeLessThan(1e-5);
    expect(tf.tidy(() => tf.max(tf.abs(ga)).dataSync()[0]!)).toBeGreaterThan(0.01);
    tf.dispose([logits, labels, dy, a, ga, b, gb]);
  });

  it('rejects a label outside the classes', () => {
    const logits = tf.zeros([2, 3]) as Tensor2D;
    expect(() => sparseSoftmaxCrossEntropyWithLogits(tf.tensor1d([0, 3], 'int32'), logits)).toThrow();
    logits.dispose();
  });
});

describe("fit's step on a softmax output with sparseCategoricalCrossentropy", () => {
  const data = separable(32, 5);
  const batch = () => ({ x: [tf.tensor2d(data.x.data, data.x.shape)], y: [tf.tensor1d(data.y.data)], size: 32 });

  /** A seeded classifier compiled with the named loss (fused) or the same loss as a function (not fused). */
  function build(fused: boolean): Model {
    setSeed(11);
    const model = classifier();
    const loss = fused ? 'sparseCategoricalCrossentropy' : (t: Tensor, p: Tensor) => sparseCategoricalCrossentropy(t, p);
    model.compile({ optimizer: { name: 'adam', learningRate: 0.05 }, loss, metrics: ['accuracy'] });
    return model;
  }

  it('runs the fused kernel and trains as the probability-space loss does', async () => {
    const [fused, plain] = [build(true), build(false)];
    expect(weightsOf(fused)).toEqual(weightsOf(plain));
    const kernels = async (model: Model) => {
      const b = batch();
      let logs = {};
      const profile = await tf.profile(async () => void (logs = await model.trainStep(b)));
      tf.dispose([...b.x, ...b.y]);
      return { logs, names: new Set(profile.kernels.map((k) => k.name)) };
    };
    for (let step = 0; step < 3; step++) {
      const [a, b] = [await kernels(fused), await kernels(plain)];
      expect(a.names.has('Log')).toBe(false); // no log of probabilities: the loss came from the logits
      expect(b.names.has('Log')).toBe(true);
      expect(Object.keys(a.logs)).toEqual(['loss', 'accuracy']);
      for (const k of ['loss', 'accuracy'] as const)
        expect((a.logs as Record<string, number>)[k]).toBeCloseTo((b.logs as Record<string, number>)[k]!, 5);
    }
    const [wa, wb] = [weightsOf(fused).flat(), weightsOf(plain).flat()];
    expect(Math.max(...wa.map((w, i) => Math.abs(w - wb[i]!)))).toBeLessThan(1e-5);

    // The softmax is back in place: predict and evaluate give probabilities.
    const outputLayer = fused.net.layers.at(-1) as unknown as { activation: { getClassName(): string } };
    expect(outputLayer.activation.getClassName()).toBe('softmax');
    const p = fused.predict(data.x);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(tf.sum(p, -1), 1))).dataSync()[0]!)).toBeLessThan(1e-5);
    p.dispose();
    const [ea, eb] = [await fused.evaluate(data.x, data.y), await plain.evaluate(data.x, data.y)];
    expect(ea.loss).toBeCloseTo(eb.loss!, 5);
  });
});
