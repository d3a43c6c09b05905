// Reproducibility: two runs after the same setSeed give identical losses — initialisation, shuffling, dropout and
// the validation split included — on the native TensorFlow backend.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { backendInfo, layers, sequential, setSeed, tf, type History } from '../src/index.js';
import { separable, weightsOf } from './helpers.js';

const data = separable(48, 1);

/** A small classifier with dropout, trained 2 epochs with shuffling and a validation split. */
async function run(seed: number): Promise<{ history: History['history']; weights: number[][] }> {
  setSeed(seed);
  const m = sequential([
    layers.dense({ units: 8, activation: 'relu', inputShape: [2] }),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: 2, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: { name: 'adam', learningRate: 0.02 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const history = await m.fit(data.x, data.y, { epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0 });
  return { history: history.history, weights: weightsOf(m) };
}

describe('determinism', () => {
  // Without DL_REQUIRE_NATIVE the backend is whatever loaded; the checks below hold on either.
  it.runIf(process.env.DL_REQUIRE_NATIVE === '1')('runs on the native TensorFlow backend when DL_REQUIRE_NATIVE=1', () => {
    const info = backendInfo();
    expect(info.backend).toBe('tensorflow');
    expect(info.tensorflowVersion).toMatch(/^\d+\.\d+/);
  });

  it('gives identical first-epoch losses, whole histories and final weights after the same setSeed', async () => {
    const first = await run(42);
    const second = await run(42);
    expect(second.history['loss']![0]).toBe(first.history['loss']![0]);
    expect(second.history['val_loss']![0]).toBe(first.history['val_loss']![0]);
    expect(second.history).toEqual(first.history);
    expect(second.weights).toEqual(first.weights);
  });

  it('gives different losses after another seed, so the seed is what makes them equal', async () => {
    const first = await run(42);
    const other = await run(43);
    expect(other.history['loss']![0]).not.toBe(first.history['loss']![0]);
  });

  it('makes dropout itself reproducible: the same masks after the same seed, other masks after another', () => {
    const drop = layers.dropout({ rate: 0.5 });
    const masks = (seed: number): number[] => {
      setSeed(seed);
      const ones = tf.ones([4, 16]);
      // In training mode the layer zeroes a random half of its inputs.
      const out = drop.apply(ones, { training: true }) as Tensor;
      const mask = Array.from(out.dataSync()).map((v) => (v === 0 ? 0 : 1));
      tf.dispose([ones, out]);
      return mask;
    };
    const a = masks(7);
    expect(masks(7)).toEqual(a);
    expect(a).toContain(0);
    expect(a).toContain(1);
    expect(masks(8)).not.toEqual(a);
  });
});
