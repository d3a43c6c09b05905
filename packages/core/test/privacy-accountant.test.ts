// The RDP accountant against published figures and against an independent numerical integration of the Rényi
// divergence it claims to compute; calibration inverts it.
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors/option-error.js';
import {
  calibrateNoiseMultiplier,
  computeDpSgdEpsilon,
  dpSgdSchedule,
  epsilonFromRdp,
  rdpOfSteps,
  sampledGaussianRdp,
} from '../src/privacy/index.js';
import { logErfc } from '../src/privacy/log-math.js';

/** TensorFlow Privacy's orders before dp_accounting (compute_dp_sgd_privacy, 2019–2020). */
const TFP_ORDERS = [...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10), ...Array.from({ length: 52 }, (_, i) => 12 + i)];

function epsilonOf(n: number, b: number, sigma: number, epochs: number, conversion: 'improved' | 'classic', orders?: number[]) {
  return computeDpSgdEpsilon({
    ...dpSgdSchedule({ datasetSize: n, batchSize: b, epochs }),
    noiseMultiplier: sigma,
    delta: 1e-5,
    conversion,
    orders,
  }).epsilon;
}

/**
 * A_α = E_{z∼N(0,σ²)} [((1−q) + q e^((2z−1)/2σ²))^α] by Simpson's rule: the definition of the sampled Gaussian's
 * Rényi divergence, computed without any of the series the accountant uses.
 */
function rdpByIntegration(q: number, sigma: number, alpha: number): number {
  const lo = -30 * sigma;
  const hi = 30 * sigma + alpha;
  const n = 200_000;
  const h = (hi - lo) / n;
  const f = (z: number) =>
    (Math.exp(-(z * z) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI))) *
    (1 - q + q * Math.exp((2 * z - 1) / (2 * sigma * sigma))) ** alpha;
  let sum = f(lo) + f(hi);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * f(lo + i * h);
  return Math.log((sum * h) / 3) / (alpha - 1);
}

describe('privacy accountant', () => {
  it("reproduces TensorFlow Privacy's published ε with its (classic) conversion and orders", () => {
    // tutorials/README.md: MNIST, N = 60000, batch 256, δ = 1e-5: σ 1.1 for 60 epochs → ε 3.01 (96.6%), σ 0.7 for
    // 45 epochs → ε 7.10 (97.0%); classification_privacy.ipynb: batch 250, σ 1.3, 15 epochs → ε 1.18.
    expect(epsilonOf(60000, 256, 1.1, 60, 'classic', TFP_ORDERS)).toBeCloseTo(3.01, 2);
    expect(epsilonOf(60000, 256, 0.7, 45, 'classic', TFP_ORDERS)).toBeCloseTo(7.1, 2);
    expect(epsilonOf(60000, 250, 1.3, 15, 'classic', TFP_ORDERS)).toBeCloseTo(1.18, 2);
  });

  it("gives dp_accounting's tighter ε with the improved conversion (the default)", () => {
    const improved = epsilonOf(60000, 256, 1.1, 60, 'improved');
    expect(improved).toBeCloseTo(2.597, 2);
    expect(improved).toBeLessThan(epsilonOf(60000, 256, 1.1, 60, 'classic'));
  });

  it('computes the exact RDP at integer and fractional orders (checked by numerical integration)', () => {
    for (const [q, sigma, alpha] of [
      [0.01, 1.1, 2],
      [0.01, 1.1, 8],
      [0.05, 1.5, 3.5],
      [0.1, 2, 10],
      [0.1, 2, 2.25],
      [0.3, 0.9, 6.75],
    ] as const) {
      expect(sampledGaussianRdp(q, sigma, alpha) / rdpByIntegration(q, sigma, alpha)).toBeCloseTo(1, 6);
    }
  });

  it('has the limits it must have: q = 1 is the Gaussian mechanism, q = 0 costs nothing, RDP composes', () => {
    expect(sampledGaussianRdp(1, 2, 5)).toBeCloseTo(5 / 8, 12);
    expect(sampledGaussianRdp(0, 2, 5)).toBe(0);
    expect(rdpOfSteps(0.01, 1, 100, [4])[0]).toBeCloseTo(100 * sampledGaussianRdp(0.01, 1, 4), 12);
    expect(computeDpSgdEpsilon({ samplingRate: 0.01, noiseMultiplier: 1, steps: 0, delta: 1e-5 }).epsilon).toBe(0);
  });

  it('log erfc is accurate across the range the series need', () => {
    expect(logErfc(0)).toBe(0);
    expect(logErfc(1)).toBeCloseTo(Math.log(0.157299207050285), 12);
    expect(logErfc(-2)).toBeCloseTo(Math.log(1.995322265018953), 12);
    expect(logErfc(3)).toBeCloseTo(Math.log(2.209049699858544e-5), 10);
    expect(logErfc(10)).toBeCloseTo(-102.87988902484489, 9);
  });

  it('calibrates the noise multiplier to a target ε, never weaker than asked', () => {
    const { samplingRate, steps } = dpSgdSchedule({ datasetSize: 60000, batchSize: 256, epochs: 60 });
    for (const targetEpsilon of [1, 3, 8]) {
      const sigma = calibrateNoiseMultiplier({ samplingRate, steps, delta: 1e-5, targetEpsilon });
      const at = (s: number) => computeDpSgdEpsilon({ samplingRate, steps, delta: 1e-5, noiseMultiplier: s }).epsilon;
      expect(at(sigma)).toBeLessThanOrEqual(targetEpsilon);
      expect(at(sigma * 0.999)).toBeGreaterThan(targetEpsilon * 0.99);
    }
  });

  it('rejects bad settings with OptionError', () => {
    expect(() => sampledGaussianRdp(1.5, 1, 2)).toThrow(OptionError);
    expect(() => sampledGaussianRdp(0.1, 1, 1)).toThrow(/order α must be > 1/);
    expect(() => epsilonFromRdp([2], [1], 0)).toThrow(/delta must be in \(0, 1\)/);
    expect(() => dpSgdSchedule({ datasetSize: 10, batchSize: 20, epochs: 1 })).toThrow(/batch size/);
  });
});
