import { OptionError } from '../errors/option-error.js';
import { DEFAULT_RDP_ORDERS, rdpOfSteps } from './sampled-gaussian-rdp.js';

/** What DP-SGD's accounting needs: how the batches were drawn, how much noise, how many steps. */
export interface DpSgdSettings {
  /** Probability q that a training example is in a batch (Poisson sampling): expected batch size / dataset size. */
  samplingRate: number;
  /** σ: the noise's standard deviation divided by the clipping norm. */
  noiseMultiplier: number;
  /** Gradient steps taken (or planned). */
  steps: number;
  /** δ of (ε, δ)-DP; at most 1/n is the usual choice. */
  delta: number;
  /** Rényi orders to optimise over (default: dp_accounting's). */
  orders?: readonly number[];
  /** RDP → (ε, δ) conversion (default 'improved'); see {@link epsilonFromRdp}. */
  conversion?: RdpConversion;
}

/** 'improved': Canonne, Kamath & Steinke 2020 (dp_accounting); 'classic': Mironov 2017 (TensorFlow Privacy ≤ 2020). */
export type RdpConversion = 'improved' | 'classic';

/** ε with the Rényi order that gave it. */
export interface PrivacySpent {
  epsilon: number;
  delta: number;
  /** The order α at which the RDP → (ε, δ) conversion was tightest. */
  order: number;
}

/**
 * (ε, δ) of DP-SGD by Rényi DP accounting: RDP of the Poisson-subsampled Gaussian mechanism composed over the steps,
 * then converted with the improved bound of Canonne, Kamath & Steinke (2020, Prop. 12; also Asoodeh et al. 2020,
 * eq. 20) that Google's dp_accounting uses: ε = RDP(α) + log(1 − 1/α) − (log δ + log α) / (α − 1), minimised over α
 * (and 0 when δ² + e^−RDP − 1 > 0, where the KL bound already gives δ). TensorFlow Privacy's older
 * `get_privacy_spent` used the basic ε = RDP(α) − log δ / (α − 1) (Mironov 2017, Prop. 3), which is larger; see
 * {@link epsilonFromRdp}.
 */
export function computeDpSgdEpsilon(settings: DpSgdSettings): PrivacySpent {
  const { samplingRate, noiseMultiplier, steps, delta } = settings;
  const orders = settings.orders ?? DEFAULT_RDP_ORDERS;
  return epsilonFromRdp(orders, rdpOfSteps(samplingRate, noiseMultiplier, steps, orders), delta, settings.conversion);
}

/**
 * The smallest ε over the orders for RDP values `rdp` at `orders`. `conversion: 'classic'` is Mironov 2017's
 * ε = RDP − log δ / (α − 1), as TensorFlow Privacy computed until 2020; the default 'improved' is dp_accounting's.
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
  conversion: RdpConversion = 'improved',
): PrivacySpent {
  if (!(delta > 0 && delta < 1)) throw new OptionError(`delta must be in (0, 1), got ${delta}`);
  if (conversion !== 'improved' && conversion !== 'classic')
    throw new OptionError(`conversion must be 'improved' or 'classic', got '${String(conversion)}'`);
  if (orders.length !== rdp.length || orders.length === 0) throw new OptionError('orders and rdp must be non-empty and of one length');
  let best: PrivacySpent = { epsilon: Number.POSITIVE_INFINITY, delta, order: orders[0]! };
  orders.forEach((a, i) => {
    const r = rdp[i]!;
    let epsilon: number;
    if (conversion === 'classic') epsilon = r - Math.log(delta) / (a - 1);
    else if (delta * delta + Math.expm1(-r) > 0) epsilon = 0;
    // The improved bound is numerically unstable as α → 1 (and useless there); dp_accounting skips α ≤ 1.01 too.
    else if (a > 1.01) epsilon = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    else epsilon = Number.POSITIVE_INFINITY;
    if (epsilon < best.epsilon) best = { epsilon, delta, order: a };
  });
  return { ...best, epsilon: Math.max(0, best.epsilon) };
}

/** What `dl privacy` and TensorFlow Privacy's `compute_dp_sgd_privacy` take: epochs over a dataset in batches. */
export interface DpSgdEpochs {
  datasetSize: number;
  batchSize: number;
  epochs: number;
}

/**
 * Sampling rate and steps of `epochs` epochs, as compute_dp_sgd_privacy counts them: q = B / N and
 * steps = ⌈epochs · N / B⌉.
 */
export function dpSgdSchedule({ datasetSize, batchSize, epochs }: DpSgdEpochs): { samplingRate: number; steps: number } {
  if (!Number.isInteger(datasetSize) || datasetSize < 1) throw new OptionError(`dataset size must be an integer ≥ 1, got ${datasetSize}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > datasetSize) {
    throw new OptionError(`batch size must be an integer in [1, dataset size ${datasetSize}], got ${batchSize}`);
  }
  if (!(epochs > 0) || !Number.isFinite(epochs)) throw new OptionError(`epochs must be a finite number > 0, got ${epochs}`);
  return { samplingRate: batchSize / datasetSize, steps: Math.ceil((epochs * datasetSize) / batchSize) };
}

/** Options of {@link calibrateNoiseMultiplier}. */
export interface CalibrationOptions {
  samplingRate: number;
  steps: number;
  delta: number;
  targetEpsilon: number;
  /** Relative precision of σ (default 1e-4). */
  tolerance?: number;
  orders?: readonly number[];
  conversion?: RdpConversion;
}

/**
 * The smallest noise multiplier σ (to `tolerance`) whose ε after `steps` steps is at most `targetEpsilon`: ε falls as σ
 * grows, so a bracket is doubled until it holds the target and then bisected; the upper end is returned, so the
 * guarantee is never weaker than asked.
 */
export function calibrateNoiseMultiplier(options: CalibrationOptions): number {
  const { targetEpsilon, tolerance = 1e-4 } = options;
  if (!(targetEpsilon > 0) || !Number.isFinite(targetEpsilon))
    throw new OptionError(`target epsilon must be a finite number > 0, got ${targetEpsilon}`);
  const epsilonAt = (sigma: number) => computeDpSgdEpsilon({ ...options, noiseMultiplier: sigma }).epsilon;
  let lo = 0;
  let hi = 1;
  while (epsilonAt(hi) > targetEpsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) throw new OptionError(`no noise multiplier up to 1e6 reaches ε = ${targetEpsilon}; ask for a larger ε or fewer steps`);
  }
  while (hi - lo > tolerance * hi) {
    const mid = (lo + hi) / 2;
    if (epsilonAt(mid) > targetEpsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}
