/**
 * Integrated Gradients (Sundararajan, Taly and Yan 2017): the path integral of the gradient from a baseline b to the
 * input x, times (x − b). Its scores sum to f(x) − f(b) (completeness), up to the quadrature's error, which
 * `convergenceDelta` reports per sample. The interpolation steps go through the network in batches of `batchSize`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { OptionError } from '../errors/option-error.js';
import type { Model } from '../model.js';
import { toTensor, type TensorLike } from '../shaped-array.js';
import { inputSite, siteValue, type AttributionSite } from './attribution-site.js';
import {
  checkExplainOptions,
  concat,
  perToken,
  positiveInteger,
  prepare,
  targetMask,
  type Attributions,
  type ExplainOptions,
  type Prepared,
} from './explain-options.js';
import { outputValues } from './explained-output.js';
import { gradientsAt } from './gradient-step.js';
import { INTEGRATION_METHODS, quadrature, type IntegrationMethod, type Quadrature } from './quadrature.js';

export interface IntegratedGradientsOptions extends ExplainOptions {
  /** Gradient evaluations along the path. Default 64. */
  steps?: number;
  /**
   * The largest integration error accepted, relative to f(x) − f(b): a sample whose scores miss it is integrated
   * again with twice the steps, up to `maxSteps`. Default 0.01 (1%).
   */
  tolerance?: number;
  /** The most steps a sample may take when refined. Default 1024 (`maxSteps: steps` turns refining off). */
  maxSteps?: number;
  /** How the path integral is summed: 'gaussLegendre' (default) or 'trapezoid'. */
  integration?: IntegrationMethod;
  /**
   * The baseline (the "absence" of the input): a number for every input value, or one sample's array (shape of one
   * sample, with or without a batch axis of 1). Default 0 (a black image). Not for token models: see `baselineToken`.
   */
  baseline?: number | TensorLike;
  /** For a model whose input feeds an Embedding: the token every position of the baseline holds. Default 0 (padding). */
  baselineToken?: number;
}

export interface IntegratedGradientsResult extends Attributions {
  /** f(b), the model's output for the target at the baseline. */
  baselineOutputs: Float32Array;
  /** Σ scores − (f(x) − f(b)) per sample: the integration error (0 for an exact integral). */
  convergenceDelta: Float32Array;
  /** The step count each sample's integral took (`steps`, doubled while over `tolerance`). */
  steps: Int32Array;
}

const OWN_OPTIONS = ['steps', 'tolerance', 'maxSteps', 'integration', 'baseline', 'baselineToken'];

export function integratedGradients(model: Model, x: TensorLike, options: IntegratedGradientsOptions = {}): IntegratedGradientsResult {
  checkExplainOptions(options, OWN_OPTIONS, 'integratedGradients');
  const steps = positiveInteger(options.steps ?? 64, 'steps');
  const integration = options.integration ?? 'gaussLegendre';
  if (!INTEGRATION_METHODS.includes(integration)) {
    throw new OptionError(`unknown integration '${integration}': use one of ${INTEGRATION_METHODS.join(', ')}`);
  }
  quadrature(integration, steps);
  const tolerance = options.tolerance ?? 0.01;
  if (!(tolerance >= 0)) throw new OptionError(`tolerance must be a number ≥ 0, got ${tolerance}`);
  const maxSteps = options.maxSteps ?? Math.max(1024, steps);
  if (!Number.isInteger(maxSteps) || maxSteps < steps)
    throw new OptionError(`maxSteps must be an integer ≥ steps (${steps}), got ${maxSteps}`);
  const net = model.net;
  const site = inputSite(net);
  const p = prepare(model, x, site, options);
  try {
    const baselineInput = baselineOf(model, site, p.x, options);
    p.owned.push(baselineInput);
    const baselineOutputs = targetOutputs(model, baselineInput, p.outputIndex, p.logits, p.targets);
    const rows: Float32Array[] = [];
    const stepsUsed = new Int32Array(p.n);
    const convergenceDelta = new Float32Array(p.n);
    let rowShape: number[] = [];
    for (let i = 0; i < p.n; i++) {
      const xi = tf.slice(p.x, i, 1);
      const bi = tf.slice(baselineInput, p.n === baselineInput.shape[0] ? i : 0, 1);
      const expected = p.outputs[i]! - baselineOutputs[i]!;
      try {
        // Refined until the scores sum to f(x) − f(b) within the tolerance: the error is known exactly, so the steps
        // are spent where the path is hard to integrate (a ReLU network's saturated softmax), not on every sample.
        for (let m = steps; ; m *= 2) {
          const scores = pathIntegral(model, site, p, i, xi, bi, quadrature(integration, m));
          const data = scores.dataSync() as Float32Array;
          rowShape = scores.shape.slice(1);
          scores.dispose();
          const delta = data.reduce((a, b) => a + b, 0) - expected;
          if (Math.abs(delta) <= tolerance * Math.abs(expected) + 1e-6 || m * 2 > maxSteps) {
            rows.push(data);
            stepsUsed[i] = m;
            convergenceDelta[i] = delta;
            break;
          }
        }
      } finally {
        tf.dispose([xi, bi]);
      }
    }
    const data = concat(rows);
    return {
      scores: { data, shape: [p.n, ...rowShape] },
      targets: p.targets,
      outputs: p.outputs,
      baselineOutputs,
      convergenceDelta,
      steps: stepsUsed,
    };
  } finally {
    tf.dispose(p.owned);
  }
}

/** Sample i's scores, [1, …]: Σₖ wₖ·∂f/∂site(b + αₖ(x − b)) · (x − b), the steps in batches of `batchSize`. */
function pathIntegral(
  model: Model,
  site: AttributionSite,
  p: Prepared,
  i: number,
  xi: Tensor,
  bi: Tensor,
  { alphas, weights }: Quadrature,
): Tensor {
  const steps = alphas.length;
  return tf.tidy(() => {
    const at = siteValue(model.net, site, xi);
    const base = siteValue(model.net, site, bi);
    const diff = tf.sub(at, base);
    const broadcast = (v: Float32Array) => tf.tensor(v, [v.length, ...at.shape.slice(1).map(() => 1)]);
    let sum: Tensor = tf.zerosLike(at);
    for (let start = 0; start < steps; start += p.batchSize) {
      const count = Math.min(p.batchSize, steps - start);
      const points = tf.add(base, tf.mul(broadcast(alphas.subarray(start, start + count)), diff));
      const mask = targetMask(p.units, new Int32Array(count).fill(p.targets[i]!));
      const input = site.kind === 'input' ? undefined : tf.tile(xi, [count, ...xi.shape.slice(1).map(() => 1)]);
      const { gradients, values } = gradientsAt(model, site, p.outputIndex, p.logits, points, mask, input);
      values.dispose();
      sum = tf.add(sum, tf.sum(tf.mul(gradients, broadcast(weights.subarray(start, start + count))), 0, true));
    }
    return perToken(tf.mul(sum, diff), site);
  });
}

/** The baseline as model input rows (1 or n of them). */
function baselineOf(model: Model, site: AttributionSite, x: Tensor, options: IntegratedGradientsOptions): Tensor {
  const sample = x.shape.slice(1);
  if (site.kind === 'embedding') {
    if (options.baseline !== undefined) {
      throw new OptionError(
        `model '${model.name}' takes token ids into an Embedding: give its baseline as baselineToken (a token id), not baseline`,
      );
    }
    const token = options.baselineToken ?? 0;
    if (!Number.isInteger(token) || token < 0) throw new OptionError(`baselineToken must be a token id (an integer ≥ 0), got ${token}`);
    return tf.fill([1, ...sample], token, x.dtype);
  }
  if (options.baselineToken !== undefined) {
    throw new OptionError(`baselineToken is for models whose input feeds an Embedding; model '${model.name}' does not: use baseline`);
  }
  const baseline = options.baseline ?? 0;
  if (typeof baseline === 'number') return tf.fill([1, ...sample], baseline, 'float32');
  const b = toTensor(baseline);
  const values = b.shape.join(',') === sample.join(',') || b.shape.join(',') === [1, ...sample].join(',');
  const result = values ? tf.reshape(b, [1, ...sample]) : undefined;
  if (b !== baseline) b.dispose();
  if (!result) throw new OptionError(`baseline of shape [${b.shape.join(', ')}] does not match one sample of shape [${sample.join(', ')}]`);
  return result;
}

/** The model's output for each sample's target at `input` (1 row for all, or one row each). */
function targetOutputs(model: Model, input: Tensor, outputIndex: number, logits: boolean, targets: Int32Array): Float32Array {
  const out = outputValues(model, input, outputIndex, logits);
  const values = out.dataSync() as Float32Array;
  const units = out.size / input.shape[0]!;
  out.dispose();
  return Float32Array.from(targets, (t, i) => values[(input.shape[0] === 1 ? 0 : i) * units + t]!);
}
