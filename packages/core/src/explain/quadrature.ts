/**
 * Where Integrated Gradients evaluates the gradient along the path from the baseline (α = 0) to the input (α = 1), and
 * with what weights: the integral ∫₀¹ ∂f/∂x(b + α(x − b)) dα as Σ wₖ·gₖ. Gauss–Legendre (Captum's default) is exact
 * for polynomials of degree 2m − 1 in α and converges fastest on the smooth paths of sigmoid and softmax outputs;
 * the trapezoid rule is the simple alternative (both ends included), for comparison.
 */
import { OptionError } from '../errors/option-error.js';

export type IntegrationMethod = 'gaussLegendre' | 'trapezoid';

export const INTEGRATION_METHODS: readonly IntegrationMethod[] = ['gaussLegendre', 'trapezoid'];

export interface Quadrature {
  /** Points α in [0, 1]. */
  alphas: Float32Array;
  /** Weights, summing to 1. */
  weights: Float32Array;
}

export function quadrature(method: IntegrationMethod, steps: number): Quadrature {
  if (!Number.isInteger(steps) || steps < 1) throw new OptionError(`steps must be a positive integer, got ${steps}`);
  if (method === 'trapezoid') {
    if (steps < 2) throw new OptionError(`steps must be at least 2 for the trapezoid rule, got ${steps}`);
    const alphas = Float32Array.from({ length: steps }, (_, k) => k / (steps - 1));
    const weights = Float32Array.from({ length: steps }, (_, k) => (k === 0 || k === steps - 1 ? 0.5 : 1) / (steps - 1));
    return { alphas, weights };
  }
  if (method === 'gaussLegendre') return gaussLegendre(steps);
  throw new OptionError(`unknown integration method '${method as string}': use one of ${INTEGRATION_METHODS.join(', ')}`);
}

/** Gauss–Legendre nodes and weights on [0, 1]: roots of the Legendre polynomial Pₘ by Newton's method, in float64. */
function gaussLegendre(m: number): Quadrature {
  const alphas = new Float32Array(m);
  const weights = new Float32Array(m);
  for (let i = 0; i < Math.ceil(m / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (m + 0.5));
    let dp = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // Pₘ(x) and its derivative by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= m; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      if (m === 1) [p0, p1] = [1, x];
      dp = (m * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    // Mapped from [-1, 1] onto [0, 1]; weights halve and so sum to 1.
    alphas[i] = (1 - x) / 2;
    alphas[m - 1 - i] = (1 + x) / 2;
    weights[i] = w / 2;
    weights[m - 1 - i] = w / 2;
  }
  return { alphas, weights };
}
