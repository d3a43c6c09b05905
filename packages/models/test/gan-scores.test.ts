// Inception Score and Fréchet distance: the formulas on cases with known answers, then with a real (small) MNIST
// classifier, real digits against noise.
import { setSeed, tf, toTensor } from '@dl/core';
import { describe, expect, it } from 'vitest';
import { classifierOutputs, cnn, featureStatistics, frechetDistance, inceptionScore, scoreOutputs } from '../src/index.js';
import { symmetricEigen } from '../src/gan/scores.js';
import { isolateDatasetsCache } from './isolated-datasets.js';

isolateDatasetsCache();

/** Rows of `classes` probabilities: a one-hot row per class `hot[i]`. */
function oneHot(hot: number[], classes = 10): Float32Array {
  const probs = new Float32Array(hot.length * classes);
  hot.forEach((c, i) => (probs[i * classes + c] = 1));
  return probs;
}

/** Statistics from an explicit mean and covariance. */
function stats(mean: number[], cov: number[][]) {
  return { dim: mean.length, count: 100, mean: Float64Array.from(mean), cov: Float64Array.from(cov.flat()) };
}

describe('inceptionScore', () => {
  it('is the number of classes for confident, evenly spread predictions, and 1 for a single class or no confidence', () => {
    const spread = Array.from({ length: 1000 }, (_, i) => i % 10);
    expect(inceptionScore(oneHot(spread), 10).mean).toBeCloseTo(10, 6);
    expect(inceptionScore(oneHot(spread), 10).std).toBeCloseTo(0, 6);
    expect(inceptionScore(oneHot(new Array(1000).fill(3)), 10).mean).toBeCloseTo(1, 6);
    expect(inceptionScore(new Float32Array(1000 * 10).fill(0.1), 10).mean).toBeCloseTo(1, 5);
    // Confident over 5 classes only: 5.
    expect(inceptionScore(oneHot(spread.map((c) => c % 5)), 10).mean).toBeCloseTo(5, 6);
  });

  it('rejects probabilities that are not whole rows', () => {
    expect(() => inceptionScore(new Float32Array(15), 10)).toThrow(/rows of 10/);
  });
});

describe('Fréchet distance', () => {
  it('featureStatistics: the mean and the n − 1 covariance', () => {
    const s = featureStatistics([1, 2, 3, 4, 5, 9], 2); // rows (1,2), (3,4), (5,9)
    expect(Array.from(s.mean)).toEqual([3, 5]);
    // var x = 4, var y = (9 + 1 + 16) / 2 = 13, cov = (−2·−3 + 0 + 2·4) / 2 = 7
    expect(Array.from(s.cov)).toEqual([4, 7, 7, 13]);
  });

  it('is 0 between identical statistics and matches the closed form for commuting covariances', () => {
    const a = stats(
      [1, 2, 3],
      [
        [2, 0.5, 0],
        [0.5, 1, 0.2],
        [0, 0.2, 3],
      ],
    );
    expect(frechetDistance(a, a)).toBeCloseTo(0, 8);
    // Diagonal covariances: Σ (μa − μb)² + Σ (σa − σb)².
    const b = stats(
      [0, 0],
      [
        [1, 0],
        [0, 9],
      ],
    );
    const c = stats(
      [1, 2],
      [
        [4, 0],
        [0, 1],
      ],
    );
    expect(frechetDistance(b, c)).toBeCloseTo(1 + 4 + (1 - 2) ** 2 + (3 - 1) ** 2, 8);
  });

  it('uses tr((Σa Σb)^½) for covariances that do not commute (checked against 2×2 eigenvalues)', () => {
    const A = [
      [2, 1],
      [1, 2],
    ];
    const B = [
      [1, 0],
      [0, 3],
    ];
    // Eigenvalues of A·B = [[2, 3], [1, 6]]: trace 8, determinant 9.
    const [t, d] = [8, 9];
    const traceRoot = Math.sqrt((t + Math.sqrt(t * t - 4 * d)) / 2) + Math.sqrt((t - Math.sqrt(t * t - 4 * d)) / 2);
    expect(frechetDistance(stats([0, 0], A), stats([0, 0], B))).toBeCloseTo(4 + 4 - 2 * traceRoot, 8);
  });

  it('symmetricEigen diagonalises a symmetric matrix: V diag(λ) Vᵀ = A', () => {
    const d = 12;
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) a[i * d + j] = a[j * d + i] = Math.sin(i * 7 + j * 3) + (i === j ? 3 : 0);
    const { values, vectors } = symmetricEigen(a, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let sum = 0;
        for (let k = 0; k < d; k++) sum += vectors[i * d + k]! * values[k]! * vectors[j * d + k]!;
        expect(sum).toBeCloseTo(a[i * d + j]!, 9);
      }
    }
  });
});

describe('scores with an MNIST classifier', () => {
  it('rate real test digits far above noise: higher Inception Score, lower Fréchet distance', async () => {
    setSeed(7);
    const data = await cnn.loadData({ limit: 1500, log: false });
    const classifier = cnn.build();
    await classifier.fit(data.train.x, data.train.y, { epochs: 2, batchSize: 64, verbose: 0 });
    const train = toTensor(data.train.x);
    const reference = classifierOutputs(classifier, train);
    const referenceStats = featureStatistics(reference.features, reference.featureDim);
    expect(reference.featureDim).toBe(64); // the Dense(64) before the softmax
    const real = toTensor(data.test.x).slice(0, 1000);
    const noise = tf.randomUniform([1000, 28, 28, 1]);
    const realScores = scoreOutputs(classifierOutputs(classifier, real), referenceStats);
    const noiseScores = scoreOutputs(classifierOutputs(classifier, noise), referenceStats);
    // A classifier of 1,500 images is less sure than the real scorer (IS ≈ 9.8 on real digits), but far from noise's ≈ 1.
    expect(realScores.inceptionScore).toBeGreaterThan(4);
    expect(realScores.inceptionScore).toBeGreaterThan(noiseScores.inceptionScore + 3);
    expect(realScores.frechetDistance).toBeLessThan(noiseScores.frechetDistance / 10);
    expect(realScores.classCounts.every((c) => c > 40)).toBe(true);
    expect(realScores.classCounts.reduce((a, b) => a + b)).toBe(1000);
    tf.dispose([train, real, noise]);
  });
});
