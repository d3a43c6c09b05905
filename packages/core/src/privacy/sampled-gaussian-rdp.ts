import { OptionError } from '../errors/option-error.js';
import { logAdd, logErfc, logSub } from './log-math.js';

/**
 * The orders α at which the accountant evaluates Rényi DP, as Google's dp_accounting does by default
 * (`RdpAccountant`'s orders): fine steps near 1 where small ε is decided, integers up to 63, and a few large ones.
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = [
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...Array.from({ length: 59 }, (_, i) => i + 5),
  128,
  256,
  512,
];

/**
 * Rényi DP at order α of ONE step of the Poisson-subsampled Gaussian mechanism: each record is in the batch with
 * probability q, the sum of clipped contributions (sensitivity 1 after dividing by the clip norm) gets Gaussian noise
 * of standard deviation σ. This is Mironov, Talwar & Zhang (2019), "Rényi Differential Privacy of the Sampled
 * Gaussian Mechanism": the exact value as log A_α / (α − 1), with A_α summed in log space — a finite binomial sum for
 * integer α (§3.3), the two erfc-weighted series for fractional α (§3.4).
 */
export function sampledGaussianRdp(q: number, noiseMultiplier: number, order: number): number {
  checkArgs(q, noiseMultiplier, order);
  if (q === 0) return 0;
  if (noiseMultiplier === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return order / (2 * noiseMultiplier * noiseMultiplier); // no subsampling: the Gaussian mechanism's RDP
  if (order === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const logA = Number.isInteger(order) ? logAInteger(q, noiseMultiplier, order) : logAFractional(q, noiseMultiplier, order);
  return logA / (order - 1);
}

/** RDP of `steps` independent steps at each order: RDP composes additively. */
export function rdpOfSteps(q: number, noiseMultiplier: number, steps: number, orders: readonly number[] = DEFAULT_RDP_ORDERS): number[] {
  if (!Number.isInteger(steps) || steps < 0) throw new OptionError(`steps must be an integer ≥ 0, got ${steps}`);
  return orders.map((order) => steps * sampledGaussianRdp(q, noiseMultiplier, order));
}

function checkArgs(q: number, noiseMultiplier: number, order: number): void {
  if (!(q >= 0 && q <= 1)) throw new OptionError(`sampling rate q must be in [0, 1], got ${q}`);
  if (!(noiseMultiplier >= 0) || !Number.isFinite(noiseMultiplier)) {
    throw new OptionError(`noise multiplier must be a finite number ≥ 0, got ${noiseMultiplier}`);
  }
  if (!(order > 1)) throw new OptionError(`Rényi order α must be > 1, got ${order}`);
}

/** A_α = Σ_{k=0..α} C(α,k) (1−q)^(α−k) q^k exp((k² − k) / 2σ²), every term positive. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  let logBinom = 0; // log C(α, k), updated by C(α, k+1) = C(α, k) (α − k) / (k + 1)
  for (let k = 0; k <= alpha; k++) {
    const term = logBinom + k * Math.log(q) + (alpha - k) * Math.log1p(-q) + (k * k - k) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
    logBinom += Math.log(alpha - k) - Math.log(k + 1);
  }
  return logA;
}

/**
 * Fractional α: A_α = A₀ + A₁, two series over i ≥ 0 with generalised binomial coefficients C(α, i) (whose sign
 * alternates once i > α), each term weighted by a Gaussian tail around z₀ = σ² log(1/q − 1) + 1/2; summed until both
 * new terms are below e^−30, where the reference implementations stop too.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  let logAbsBinom = 0; // log |C(α, i)|
  let binomSign = 1;
  for (let i = 0; i < 100_000; i++) {
    const j = alpha - i;
    const logT0 = logAbsBinom + i * Math.log(q) + j * Math.log1p(-q);
    const logT1 = logAbsBinom + j * Math.log(q) + i * Math.log1p(-q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (binomSign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
    const factor = (alpha - i) / (i + 1);
    if (factor < 0) binomSign = -binomSign;
    logAbsBinom += Math.log(Math.abs(factor));
  }
  return logAdd(logA0, logA1);
}
