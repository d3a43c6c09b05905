/**
 * What `compile` sets up for the train and test steps: one loss per model output (weighted and summed, plus the
 * layers' regularisation losses) and the metrics per output, with Keras's log names — `loss` and `accuracy` for a
 * single output; `loss`, `<output>_loss` and `<output>_<metric>` for several.
 */
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { getLoss, sparseCategoricalCrossentropy, type LossFn, type LossName } from '../losses.js';
import { sparseSoftmaxCrossEntropyAvailable, sparseSoftmaxCrossEntropyWithLogits } from '../native/sparse-softmax-cross-entropy.js';
import { getMetric, type MetricFn, type MetricName } from '../metrics.js';
import { OptionError } from '../errors/option-error.js';
import { ShapeError } from '../errors/shape-error.js';

export type LossSpec = LossName | LossFn;
/** One loss for every output, one per output in order, or one per output name. */
export type Losses = LossSpec | LossSpec[] | Record<string, LossSpec>;
export type MetricSpec = MetricName | MetricFn;

export class CompiledLoss {
  private readonly losses: LossFn[];
  private readonly weights: number[];
  private readonly metrics: Array<{ name: string; fn: MetricFn }>;
  /** Names of the values `compute` + `computeMetrics` return, in order: what fit and evaluate log. */
  readonly names: string[];

  constructor(
    private readonly outputNames: string[],
    losses: Losses,
    lossWeights: number[] | Record<string, number> | undefined,
    metrics: MetricSpec[],
  ) {
    this.losses = perOutput(outputNames, losses, 'loss').map(getLoss);
    this.weights = lossWeights === undefined ? outputNames.map(() => 1) : perOutput(outputNames, lossWeights, 'lossWeights');
    this.metrics = metrics.map(getMetric);
    const multi = outputNames.length > 1;
    this.names = ['loss'];
    if (multi) this.names.push(...outputNames.map((o) => `${o}_loss`));
    for (const o of outputNames) for (const m of this.metrics) this.names.push(multi ? `${o}_${m.name}` : m.name);
  }

  /** The loss function of each output, in order (DP-SGD's step evaluates them per example). */
  get lossFunctions(): readonly LossFn[] {
    return this.losses;
  }

  /** The metrics' names, in order. */
  get metricNames(): string[] {
    return this.metrics.map((m) => m.name);
  }

  /**
   * For each output: whether its loss can be computed from logits by the fused kernel, given which outputs end in a
   * softmax (`softmaxOutputs`): Keras's sparse categorical cross-entropy on the native backend.
   */
  fromLogits(softmax: boolean[]): boolean[] {
    const native = sparseSoftmaxCrossEntropyAvailable();
    return this.losses.map((loss, i) => native && softmax[i] === true && loss === sparseCategoricalCrossentropy);
  }

  /**
   * The total loss to minimise and, for the logs, the per-output losses (when several). `sampleWeight` ([n]) weighs
   * each sample's loss, as Keras does: the sum of weighted losses over the batch size. Where `logits[i]` is given
   * (outputs `fromLogits` allows), that output's loss is computed from it by the fused kernel rather than from `yPred[i]`.
   */
  compute(
    yTrue: Tensor[],
    yPred: Tensor[],
    sampleWeight: Tensor | undefined,
    regularization: Scalar[],
    logits: Array<Tensor | undefined> = [],
  ): { total: Scalar; parts: Scalar[] } {
    if (yTrue.length !== this.losses.length) {
      throw new ShapeError(
        `the model has ${this.losses.length} output(s) (${this.outputNames.join(', ')}) but y has ${yTrue.length} array(s)`,
      );
    }
    const parts = this.losses.map((loss, i) => {
      const z = logits[i];
      return reduce(z ? sparseSoftmaxCrossEntropyWithLogits(yTrue[i]!, z as Tensor2D) : loss(yTrue[i]!, yPred[i]!), sampleWeight);
    });
    // Weights of 1 and no regularisation (the common case) add no kernels.
    const weighted = parts.map((p, i) => (this.weights[i] === 1 ? p : tf.mul(p, this.weights[i]!)));
    let total = weighted.reduce((sum, p) => tf.add(sum, p)) as Scalar;
    for (const r of regularization) total = tf.add(total, r);
    return { total, parts: parts.length > 1 ? parts : [] };
  }

  computeMetrics(yTrue: Tensor[], yPred: Tensor[]): Scalar[] {
    return yPred.flatMap((p, i) => this.metrics.map((m) => m.fn(yTrue[i]!, p)));
  }
}

function reduce(values: Tensor, sampleWeight: Tensor | undefined): Scalar {
  if (values.rank === 0) {
    if (sampleWeight)
      throw new OptionError('sample or class weights need a loss that returns one value per sample (shape [n]), not a scalar');
    return values as Scalar;
  }
  if (!sampleWeight) return tf.mean(values);
  return tf.div(tf.sum(tf.mul(values, sampleWeight.reshape(values.shape))), values.shape[0] ?? 1);
}

function perOutput<T>(outputNames: string[], spec: T | T[] | Record<string, T>, what: string): T[] {
  if (Array.isArray(spec)) {
    if (spec.length !== outputNames.length)
      throw new OptionError(`${what}: got ${spec.length} values for ${outputNames.length} outputs (${outputNames.join(', ')})`);
    return spec;
  }
  if (typeof spec === 'object' && spec !== null && typeof spec !== 'function') {
    const record = spec as Record<string, T>;
    const unknown = Object.keys(record).filter((k) => !outputNames.includes(k));
    if (unknown.length) throw new OptionError(`${what}: unknown output ${unknown.join(', ')}; the outputs are ${outputNames.join(', ')}`);
    return outputNames.map((o) => {
      if (!Object.hasOwn(record, o)) throw new OptionError(`${what}: no value for output '${o}'`);
      return record[o]!;
    });
  }
  return outputNames.map(() => spec as T);
}
