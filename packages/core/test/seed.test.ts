import { describe, expect, it } from 'vitest';
import { setSeed } from '../src/index.js';
import { classifier, compiledClassifier, separable, weightsOf } from './helpers.js';

describe('setSeed', () => {
  it('makes models built after the same seed start from identical weights', () => {
    setSeed(7);
    const a = weightsOf(classifier());
    setSeed(7);
    const b = weightsOf(classifier());
    setSeed(8);
    const c = weightsOf(classifier());

    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    // The kernels are randomly initialised (not, say, all zeros).
    expect(new Set(a[0]).size).toBeGreaterThan(1);
  });

  it('gives a different model each time when not reset', () => {
    setSeed(7);
    const a = weightsOf(classifier());
    const b = weightsOf(classifier());
    expect(b).not.toEqual(a);
  });

  it('makes two fits after the same seed identical, shuffling included', async () => {
    const { x, y } = separable(64, 1);
    const run = async (seed: number) => {
      setSeed(seed);
      const model = compiledClassifier();
      const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
      return history.history['loss']!;
    };
    const first = await run(9);
    const second = await run(9);
    expect(second[0]).toBe(first[0]);
    expect(second).toEqual(first);
    expect((await run(10))[0]).not.toBe(first[0]);
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s', (seed) => {
    expect(() => setSeed(seed)).toThrow(`seed must be an integer, got ${seed}`);
  });
});
