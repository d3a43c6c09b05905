/**
 * dl's compile options ↔ Keras 3's `compile_config` (config.json): the optimizer (Adam, whose state travels in
 * model.weights.h5, keras-optimizer-state.ts), the losses and metrics by name. Only what both sides compute the same
 * is mapped; anything else leaves the model uncompiled on the other side rather than compiled differently.
 */
import type { OptimizerConfig } from '../optimizers.js';
import type { Losses, MetricSpec } from '../training/compiled-loss.js';

type Json = Record<string, unknown>;

/** dl's compile options with a named optimizer (what model.ts's CompileOptions takes; not imported: no cycle). */
export interface NamedCompileOptions {
  optimizer: OptimizerConfig;
  loss?: Losses;
  lossWeights?: number[] | Record<string, number>;
  metrics?: MetricSpec[];
}

/** dl's loss names ↔ Keras's (Keras also accepts the short names, read here too). */
const LOSS_TO_KERAS: Record<string, string> = {
  sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  binaryCrossentropy: 'binary_crossentropy',
  meanSquaredError: 'mean_squared_error',
};
const LOSS_FROM_KERAS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(LOSS_TO_KERAS).map(([dl, keras]) => [keras, dl])),
  mse: 'meanSquaredError',
  // Loss objects serialized by class.
  SparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  BinaryCrossentropy: 'binaryCrossentropy',
  MeanSquaredError: 'meanSquaredError',
};
const METRIC_TO_KERAS: Record<string, string> = { accuracy: 'accuracy' };
const METRIC_FROM_KERAS: Record<string, string> = { accuracy: 'accuracy', acc: 'accuracy' };

/** Adam's options as dl holds them (defaults filled in: optimizers.ts). */
export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * Keras 3's compile_config for a dl model compiled with Adam and named losses/metrics; undefined when there is none
 * Keras would compute the same (another optimizer, a loss function of one's own).
 */
export function kerasCompileConfig(
  options: Omit<NamedCompileOptions, 'optimizer'>,
  adam: AdamSettings,
  outputNames: string[],
): Json | undefined {
  const loss = mapLosses(options.loss, LOSS_TO_KERAS);
  if (loss === undefined) return undefined;
  const metrics = (options.metrics ?? []).map((m) => (typeof m === 'string' ? METRIC_TO_KERAS[m] : undefined));
  if (metrics.some((m) => m === undefined)) return undefined;
  return {
    optimizer: {
      module: 'keras.optimizers',
      class_name: 'Adam',
      config: {
        name: 'adam',
        learning_rate: adam.learningRate,
        beta_1: adam.beta1,
        beta_2: adam.beta2,
        epsilon: adam.epsilon,
        amsgrad: false,
      },
      registered_name: null,
    },
    loss,
    loss_weights: options.lossWeights ?? null,
    // Keras 3 wants a model of several outputs to say which output each metric is for: dl computes them for each.
    metrics: metrics.length === 0 ? null : outputNames.length > 1 ? Object.fromEntries(outputNames.map((n) => [n, metrics])) : metrics,
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

/**
 * dl's compile options from a Keras 3 compile_config: Adam (plain: no weight decay, clipping, EMA or AMSGrad), losses
 * and metrics dl has. Undefined when Keras's settings do not map, so the model loads uncompiled.
 */
export function compileOptionsFromKeras(config: Json): NamedCompileOptions | undefined {
  const optimizer = config.optimizer as Json | string | undefined;
  let adam: OptimizerConfig;
  if (optimizer === 'adam') adam = { name: 'adam' };
  else if (optimizer && typeof optimizer === 'object' && optimizer.class_name === 'Adam') {
    const c = (optimizer.config ?? {}) as Json;
    const plain = ['weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue', 'loss_scale_factor', 'gradient_accumulation_steps'];
    if (plain.some((k) => c[k] !== undefined && c[k] !== null) || c.amsgrad === true || c.use_ema === true) return undefined;
    if (typeof c.learning_rate !== 'number') return undefined; // a schedule
    adam = { name: 'adam', learningRate: c.learning_rate };
    if (typeof c.beta_1 === 'number') adam.beta1 = c.beta_1;
    if (typeof c.beta_2 === 'number') adam.beta2 = c.beta_2;
    if (typeof c.epsilon === 'number') adam.epsilon = c.epsilon;
  } else return undefined;
  const loss = mapLosses(config.loss, LOSS_FROM_KERAS);
  if (loss === undefined) return undefined;
  const options: NamedCompileOptions = { optimizer: adam, loss: loss as Losses };
  const metrics = kerasMetrics(config.metrics);
  if (metrics === undefined) return undefined;
  if (metrics.length) options.metrics = metrics as MetricSpec[];
  if (config.loss_weights !== undefined && config.loss_weights !== null) options.lossWeights = config.loss_weights as number[];
  return options;
}

/** One loss, a list, or one per output name, each mapped by `names`; undefined when one does not map. */
function mapLosses(loss: unknown, names: Record<string, string>): unknown {
  const one = (l: unknown): string | undefined => {
    if (typeof l === 'string') return names[l];
    // A loss object (Keras serializes `keras.losses.X()` so): only with its defaults' meaning, from probabilities.
    if (l && typeof l === 'object') {
      const o = l as Json;
      const c = (o.config ?? {}) as Json;
      if (c.from_logits === true || (c.label_smoothing !== undefined && c.label_smoothing !== 0)) return undefined;
      return names[String(o.class_name)];
    }
    return undefined;
  };
  if (loss === undefined || loss === null) return undefined;
  if (Array.isArray(loss)) {
    const mapped = loss.map(one);
    return mapped.every((l) => l !== undefined) ? mapped : undefined;
  }
  if (typeof loss === 'object' && !('class_name' in (loss as Json))) {
    const entries = Object.entries(loss as Json).map(([k, v]) => [k, one(v)] as const);
    return entries.every(([, v]) => v !== undefined) ? Object.fromEntries(entries) : undefined;
  }
  return one(loss);
}

/** Keras's metrics (a list, or per output), as dl's one list for every output; undefined when one does not map. */
function kerasMetrics(metrics: unknown): string[] | undefined {
  if (metrics === undefined || metrics === null) return [];
  const lists = Array.isArray(metrics) ? [metrics] : typeof metrics === 'object' ? Object.values(metrics as Json) : [[metrics]];
  const names = new Set<string>();
  for (const list of lists) {
    for (const m of Array.isArray(list) ? list : [list]) {
      const name = typeof m === 'string' ? METRIC_FROM_KERAS[m] : undefined;
      if (name === undefined) return undefined;
      names.add(name);
    }
  }
  return [...names];
}
