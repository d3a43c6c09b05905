import type { io, LayersModel, Optimizer, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { layers as tfLayers } from '@tensorflow/tfjs';
import { tf } from './backend.js';
import { Callback, type Logs, type TrainingParams } from './callbacks/callback.js';
import { History } from './callbacks/history.js';
import { ProgbarLogger } from './callbacks/progbar-logger.js';
import { readModelFiles, writeModelFiles } from './model-files.js';
import { getLoss, type LossFn, type LossName } from './losses.js';
import { getMetric, type MetricFn, type MetricName } from './metrics.js';
import { getOptimizer, type OptimizerConfig, type OptimizerName } from './optimizers.js';
import { permutation } from './seed.js';
import { toTensor, type TensorLike } from './shaped-array.js';

export interface CompileOptions {
  optimizer: OptimizerName | OptimizerConfig | Optimizer;
  loss: LossName | LossFn;
  metrics?: Array<MetricName | MetricFn>;
}

export interface FitOptions {
  /** Number of epochs to train, counted up to `epochs` from `initialEpoch`. Default 1. */
  epochs?: number;
  /** Samples per gradient step. Default 32. */
  batchSize?: number;
  /** Reshuffle the training samples before each epoch. Default true. */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar, 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  /** Epoch to start from (to resume a run). Default 0. */
  initialEpoch?: number;
}

export interface EvaluateOptions {
  /** Samples per forward pass. Default 32. */
  batchSize?: number;
}

export interface PredictOptions {
  batchSize?: number;
}

/** Free-form JSON stored in model.json beside the architecture (e.g. the preset that built the model). */
export type ModelMetadata = Record<string, unknown>;

export interface SaveOptions {
  /** Stored in model.json; read back as `model.metadata`. */
  metadata?: ModelMetadata;
  /** Also save the optimizer's state (moments, step count) so training resumes exactly. Default true. */
  includeOptimizer?: boolean;
}

const FIT_OPTIONS: ReadonlyArray<keyof FitOptions> = ['epochs', 'batchSize', 'shuffle', 'verbose', 'callbacks', 'initialEpoch'];

/**
 * A Keras-style model: `compile`, `fit`, `evaluate`, `predict`, `save`, over a tfjs-layers graph.
 * Training runs dl's own loop (not tfjs-layers' fit) so callbacks, progress and later custom train steps share one path.
 */
export class Model {
  private compiled: { optimizer: Optimizer; loss: LossFn; metrics: Array<{ name: string; fn: MetricFn }> } | undefined;
  private compileConfig: CompileOptions | undefined;
  /** True while `fit` runs; a callback sets `stopTraining = true` to end it after the current epoch. */
  stopTraining = false;

  constructor(readonly net: LayersModel) {}

  get name(): string {
    return this.net.name;
  }

  compile(options: CompileOptions): void {
    const named = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null && !(v instanceof tf.Optimizer));
    // Named losses, metrics and optimizer configs are saved with the model, so loadModel returns it compiled.
    this.compileConfig = named(options.optimizer) && named(options.loss) && (options.metrics ?? []).every(named) ? options : undefined;
    this.compiled = {
      optimizer: getOptimizer(options.optimizer),
      loss: getLoss(options.loss),
      metrics: (options.metrics ?? []).map(getMetric),
    };
  }

  get optimizer(): Optimizer {
    return this.requireCompiled().optimizer;
  }

  /** Names of the values `fit` and `evaluate` report: `loss`, then the metrics. */
  get metricsNames(): string[] {
    return ['loss', ...this.requireCompiled().metrics.map((m) => m.name)];
  }

  async fit(x: TensorLike, y: TensorLike, options: FitOptions = {}): Promise<History> {
    checkOptions(options, FIT_OPTIONS, 'fit');
    this.requireCompiled();
    const { epochs = 1, batchSize = 32, shuffle = true, verbose = 1, initialEpoch = 0 } = options;
    checkPositiveInteger(epochs, 'epochs');
    checkPositiveInteger(batchSize, 'batchSize');
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new Error(`initialEpoch must be a whole number ≥ 0, got ${initialEpoch}`);
    const xs = toTensor(x);
    const ys = toTensor(y);
    try {
      const samples = checkSameLength(xs, ys);
      const history = new History();
      const callbacks: Callback[] = [...(options.callbacks ?? [])];
      if (verbose > 0 && !callbacks.some((c) => c instanceof ProgbarLogger)) callbacks.push(new ProgbarLogger());
      callbacks.push(history);
      const params: TrainingParams = { epochs, steps: Math.ceil(samples / batchSize), samples, batchSize, initialEpoch, verbose };
      for (const c of callbacks) {
        c.setModel(this);
        c.setParams(params);
      }
      this.stopTraining = false;
      for (const c of callbacks) await c.onTrainBegin();
      try {
        await this.runEpochs(xs, ys, samples, params, shuffle, callbacks);
      } finally {
        // Also on failure, so callbacks release what they hold (a live progress bar, open files).
        for (const c of callbacks) await c.onTrainEnd();
      }
      return history;
    } finally {
      if (xs !== x) xs.dispose();
      if (ys !== y) ys.dispose();
    }
  }

  /** The epochs of `fit`, from `initialEpoch` until `epochs` or until a callback sets `stopTraining`. */
  private async runEpochs(xs: Tensor, ys: Tensor, samples: number, params: TrainingParams, shuffle: boolean, callbacks: Callback[]): Promise<void> {
    const { epochs, batchSize, initialEpoch } = params;
    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      for (const c of callbacks) await c.onEpochBegin(epoch);
      const order = shuffle ? permutation(samples) : undefined;
      const totals = new Float64Array(this.metricsNames.length);
      for (let batch = 0; batch * batchSize < samples; batch++) {
        const start = batch * batchSize;
        const size = Math.min(batchSize, samples - start);
        for (const c of callbacks) await c.onTrainBatchBegin(batch);
        const values = tf.tidy(() => {
          const [xb, yb] = takeBatch(xs, ys, start, size, order);
          return this.trainStep(xb, yb);
        });
        const logs: Logs = { batch, size };
        this.metricsNames.forEach((name, i) => {
          logs[name] = values[i]!;
          totals[i]! += values[i]! * size;
        });
        for (const c of callbacks) await c.onTrainBatchEnd(batch, logs);
      }
      const epochLogs: Logs = {};
      this.metricsNames.forEach((name, i) => (epochLogs[name] = totals[i]! / samples));
      for (const c of callbacks) await c.onEpochEnd(epoch, epochLogs);
    }
  }

  /** One gradient step on a batch; returns the loss and metric values in `metricsNames` order. */
  private trainStep(x: Tensor, y: Tensor): number[] {
    const { optimizer, loss, metrics } = this.requireCompiled();
    let yPred: Tensor | undefined;
    const lossValue = optimizer.minimize(
      () => {
        yPred = tf.keep(this.net.apply(x, { training: true }) as Tensor);
        return loss(y, yPred);
      },
      true,
      this.trainableVariables(),
    ) as Scalar;
    const values = [lossValue, ...metrics.map((m) => m.fn(y, yPred!))];
    yPred!.dispose();
    return values.map((v) => v.dataSync()[0]!);
  }

  private trainableVariables(): Variable[] {
    return this.net.trainableWeights.map((w) => w.read() as Variable);
  }

  /** Loss and metrics on `(x, y)`, averaged over all samples. */
  evaluate(x: TensorLike, y: TensorLike, options: EvaluateOptions = {}): Logs {
    const { loss, metrics } = this.requireCompiled();
    const { batchSize = 32 } = options;
    checkPositiveInteger(batchSize, 'batchSize');
    const xs = toTensor(x);
    const ys = toTensor(y);
    try {
      const samples = checkSameLength(xs, ys);
      const totals = new Float64Array(1 + metrics.length);
      for (let start = 0; start < samples; start += batchSize) {
        const size = Math.min(batchSize, samples - start);
        const values = tf.tidy(() => {
          const [xb, yb] = takeBatch(xs, ys, start, size);
          const yPred = this.net.apply(xb, { training: false }) as Tensor;
          return [loss(yb, yPred), ...metrics.map((m) => m.fn(yb, yPred))].map((v) => v.dataSync()[0]!);
        });
        values.forEach((v, i) => (totals[i]! += v * size));
      }
      const logs: Logs = {};
      this.metricsNames.forEach((name, i) => (logs[name] = totals[i]! / samples));
      return logs;
    } finally {
      if (xs !== x) xs.dispose();
      if (ys !== y) ys.dispose();
    }
  }

  /** The model's outputs for `x`, computed in batches. The caller disposes the returned tensor. */
  predict(x: TensorLike, options: PredictOptions = {}): Tensor {
    const xs = toTensor(x);
    try {
      return this.net.predict(xs, { batchSize: options.batchSize ?? 32 }) as Tensor;
    } finally {
      if (xs !== x) xs.dispose();
    }
  }

  /**
   * Saves the model in TF.js layers format into `dir`: `model.json` and one weights file, with the optimizer's state
   * and compile configuration so `loadModel` can resume training. A crash mid-save leaves the previous save loadable.
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const { metadata = this.metadata, includeOptimizer = true } = options;
    let artifacts: io.ModelArtifacts | undefined;
    await this.net.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const optimizerWeights = includeOptimizer && this.compiled ? await this.compiled.optimizer.getWeights() : [];
    await writeModelFiles(dir, artifacts!, {
      ...(metadata ? { metadata } : {}),
      ...(this.compileConfig ? { compile: this.compileConfig } : {}),
      optimizerWeights,
    });
    if (metadata) this.net.setUserDefinedMetadata(metadata);
  }

  /** The metadata stored by `save`, if any. */
  get metadata(): ModelMetadata | undefined {
    return this.net.getUserDefinedMetadata() as ModelMetadata | undefined;
  }

  /** Prints Keras's layer table: layer, output shape, parameter count and totals. */
  summary(printFn?: (line: string) => void): void {
    this.net.summary(undefined, undefined, printFn);
  }

  private requireCompiled(): NonNullable<Model['compiled']> {
    if (!this.compiled) throw new Error(`model '${this.name}' is not compiled: call model.compile({ optimizer, loss, metrics }) first`);
    return this.compiled;
  }
}

export interface SequentialOptions {
  name?: string;
}

/** A linear stack of layers, as `keras.Sequential([...])`. The first layer needs `inputShape`. */
export function sequential(layers: tfLayers.Layer[], options: SequentialOptions = {}): Model {
  return new Model(tf.sequential({ layers, ...(options.name ? { name: options.name } : {}) }));
}

/**
 * Loads a model saved by `Model.save` (or any TF.js layers-format `model.json`) from `dir`. When it was saved compiled,
 * it comes back compiled, with its optimizer's state, ready to continue training.
 */
export async function loadModel(dir: string): Promise<Model> {
  const files = await readModelFiles(dir);
  const model = new Model(await tf.loadLayersModel(tf.io.fromMemory(files.artifacts)));
  if (files.json.userDefinedMetadata) model.net.setUserDefinedMetadata(files.json.userDefinedMetadata);
  if (files.json.dlCompile) {
    model.compile(files.json.dlCompile as CompileOptions);
    if (files.optimizerWeights.length) await model.optimizer.setWeights(files.optimizerWeights);
  }
  tf.dispose(files.optimizerWeights.map((w) => w.tensor));
  return model;
}

function takeBatch(xs: Tensor, ys: Tensor, start: number, size: number, order?: Int32Array): [Tensor, Tensor] {
  if (!order) return [xs.slice(start, size), ys.slice(start, size)];
  const idx = tf.tensor1d(order.subarray(start, start + size), 'int32');
  return [tf.gather(xs, idx), tf.gather(ys, idx)];
}

function checkSameLength(x: Tensor, y: Tensor): number {
  const n = x.shape[0] ?? 0;
  if (n !== y.shape[0]) throw new Error(`x has ${n} samples but y has ${y.shape[0]}: they must match`);
  if (n === 0) throw new Error('x has no samples');
  return n;
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
}

function checkOptions(options: object, valid: ReadonlyArray<string>, fn: string): void {
  const unknown = Object.keys(options).filter((k) => !valid.includes(k));
  if (unknown.length) throw new Error(`${fn}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid options: ${valid.join(', ')}`);
}
