import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import type { io, Optimizer, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from './backend.js';
import type { Layer, Network } from './layer-types.js';
import { tfl } from './tfjs-layers-api.js';
import type { Callback, Logs, TrainingParams } from './callbacks/callback.js';
import { History } from './callbacks/history.js';
import { ProgbarLogger } from './callbacks/progbar-logger.js';
import { GraphFunction } from './graph/graph-function.js';
import { checkInputShapes } from './input-shapes.js';
import { ModelFileError, readModelFiles, readSavedMetadata, writeModelFiles, MODEL_JSON } from './model-files.js';
import { installNativeGradients } from './native/native-gradients.js';
import { installNativeKernels } from './native/native-kernels.js';
import { withDlLayerClasses } from './native/dl-layer-classes.js';
import { dpSettingsOf, type DpSettings } from './dp/dp-optimizers.js';
import { checkDpLayers, dpTrainValues, type DpStepSpec } from './dp/dp-step.js';
import { precomputableCount, precomputeFeatures } from './dp/precomputed-features.js';
import { getOptimizer, runsInGraph, type OptimizerConfig, type OptimizerName } from './optimizers.js';
import { summaryLines } from './summary.js';
import type { TensorLike } from './shaped-array.js';
import {
  ArrayBatches,
  StreamBatches,
  isBatchStream,
  toTensors,
  type Batch,
  type BatchSource,
  type BatchStream,
  type ModelData,
} from './training/batches.js';
import { predictBatches } from './training/predict-batches.js';
import { CompiledLoss, type Losses, type MetricSpec } from './training/compiled-loss.js';
import { softmaxOutputs, withLogits } from './training/softmax-logits.js';
import { OptionError } from './errors/option-error.js';

export interface CompileOptions {
  optimizer: OptimizerName | OptimizerConfig | Optimizer;
  /** One loss for all outputs, one per output, or one per output name. Optional with a custom `trainStep`. */
  loss?: Losses;
  /** Weights of the outputs' losses in the total, as Keras's `loss_weights`. Default 1 each. */
  lossWeights?: number[] | Record<string, number>;
  /** Metrics computed for every output, e.g. `['accuracy']`. */
  metrics?: MetricSpec[];
}

export interface FitOptions {
  /** Train until this epoch (counted from `initialEpoch`). Default 1. */
  epochs?: number;
  /** Samples per gradient step, for array inputs. Default 32. */
  batchSize?: number;
  /** Reshuffle array inputs before each epoch. Default true. */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar, 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  callbacks?: Callback[];
  /** Epoch to start from, to resume a run. Default 0. */
  initialEpoch?: number;
  /** Fraction (0–1) of the array samples, taken from the end before shuffling, to validate on after each epoch. */
  validationSplit?: number;
  /** `[x, y]` arrays or a batch stream to validate on after each epoch; logged with the prefix `val_`. */
  validationData?: [ModelData, ModelData] | BatchStream;
  /** Batch size for validation; defaults to `batchSize`. */
  validationBatchSize?: number;
  /** Weight of each class in the loss, e.g. `{ 0: 1, 1: 5 }` for a rare positive class. */
  classWeight?: Record<number, number>;
  /** A weight per training sample ([n]), multiplied into its loss. */
  sampleWeight?: TensorLike;
  /** Batches per epoch: for arrays, the first ones of each epoch's shuffle; for batch streams, the next ones of one continuing iterator. */
  stepsPerEpoch?: number;
}

export interface EvaluateOptions {
  /** Samples per forward pass, for array inputs. Default 32. */
  batchSize?: number;
  sampleWeight?: TensorLike;
}

export interface PredictOptions {
  /** Samples per forward pass. Default 32. */
  batchSize?: number;
}

/** Free-form JSON stored in model.json beside the architecture (e.g. the preset that built the model). */
export type ModelMetadata = Record<string, unknown>;

export interface SaveOptions {
  /** Stored in model.json; read back as `model.metadata`. */
  metadata?: ModelMetadata;
  /** Also save the optimizer's state (moments, step count) so training resumes exactly. Default true. */
  includeOptimizer?: boolean;
  /**
   * For a `.keras` path: replace an existing `.keras` file there (never a file of another kind). Default true, as
   * Keras's `model.save`; false refuses any existing file.
   */
  overwrite?: boolean;
}

export type { Batch, BatchStream, ModelData, StreamBatch } from './training/batches.js';

// TensorFlow's single-kernel ReLU and max-pool gradients instead of tfjs's composites, and oneDNN's max pooling, for
// every model run here.
installNativeGradients();
installNativeKernels();

const COMPILE_OPTIONS: ReadonlyArray<keyof CompileOptions> = ['optimizer', 'loss', 'lossWeights', 'metrics'];
const FIT_OPTIONS: ReadonlyArray<keyof FitOptions> = [
  'epochs',
  'batchSize',
  'shuffle',
  'verbose',
  'callbacks',
  'initialEpoch',
  'validationSplit',
  'validationData',
  'validationBatchSize',
  'classWeight',
  'sampleWeight',
  'stepsPerEpoch',
];
const EVALUATE_OPTIONS: ReadonlyArray<keyof EvaluateOptions> = ['batchSize', 'sampleWeight'];
const PREDICT_OPTIONS: ReadonlyArray<keyof PredictOptions> = ['batchSize'];

/**
 * A Keras-style model over a tfjs-layers graph: `compile`, `fit`, `evaluate`, `predict`, `save`, `summary`.
 * Training runs dl's own loop so callbacks, progress and custom train steps share one path: override `trainStep`
 * (and `testStep`) to customise it, as with Keras 3's `train_step`.
 */
export class Model {
  private compiled: { optimizer: Optimizer; loss: CompiledLoss | undefined } | undefined;
  /** The default training step as graph functions, per batch layout (inputs, targets, sample weights); reset by compile. */
  private trainFunctions = new Map<string, GraphFunction>();
  /** During a DP `fit`: the training array's rows through the network's precomputable leading layers (precomputed-features.ts). */
  private dpFeatures: { input: Tensor; count: number; features: Tensor } | undefined;
  /** The forward pass at inference as a graph function, for `predict`. */
  private predictFunction: GraphFunction | undefined;
  private compileConfig: CompileOptions | undefined;
  /** A callback sets this to end `fit` after the current batch. */
  stopTraining = false;
  /**
   * Set by a callback's `onTrainBegin` (BackupAndRestore) to start `fit` at this epoch rather than at its
   * `initialEpoch`, as Keras's `model._initial_epoch`; `fit` reads it once and clears it.
   */
  initialEpochOverride: number | undefined;

  /** tfjs-layers' model behind `net`, for dl's own use (its declarations stay out of dl's public types: layer-types.ts). */
  private readonly layersModel: LayersModel;

  constructor(readonly net: Network) {
    this.layersModel = net as unknown as LayersModel;
  }

  get name(): string {
    return this.net.name;
  }

  compile(options: CompileOptions): void {
    checkOptions(options, COMPILE_OPTIONS, 'compile');
    const named = (v: unknown) =>
      typeof v === 'string' || (typeof v === 'object' && v !== null && !(v instanceof tf.Optimizer) && !Array.isArray(v));
    const namedLoss =
      options.loss === undefined ||
      typeof options.loss === 'string' ||
      (Array.isArray(options.loss)
        ? options.loss.every((l) => typeof l === 'string')
        : named(options.loss) && Object.values(options.loss).every((l) => typeof l === 'string'));
    // Named losses, metrics and optimizer configs are saved with the model, so loadModel returns it compiled.
    this.compileConfig =
      named(options.optimizer) && namedLoss && (options.metrics ?? []).every((m) => typeof m === 'string') ? options : undefined;
    this.trainFunctions = new Map();
    this.compiled = {
      optimizer: getOptimizer(options.optimizer),
      loss:
        options.loss === undefined
          ? undefined
          : new CompiledLoss(this.outputNames, options.loss, options.lossWeights, options.metrics ?? []),
    };
  }

  /** Names of the output layers, which name per-output losses and metrics (a Sequential model's `outputNames` is empty until built). */
  get outputNames(): string[] {
    return this.layersModel.outputs.map((o) => o.sourceLayer.name);
  }

  get optimizer(): Optimizer {
    return this.requireCompiled().optimizer;
  }

  /** Whether `compile` has been called (or the model was loaded compiled), as Keras's `model.compiled`. */
  get isCompiled(): boolean {
    return this.compiled !== undefined;
  }

  /**
   * Every optimizer the training step uses: `[optimizer]`, or more for a custom step that trains several networks
   * (a GAN). Learning-rate callbacks (LearningRateScheduler, ReduceLROnPlateau) adjust them all.
   */
  get optimizers(): Optimizer[] {
    return [this.optimizer];
  }

  /**
   * How many calls of this model's steps (training, and `predict`'s forward pass) ran as a TensorFlow graph, and how
   * many eagerly (tracing included): to check that a model trains as a graph (graph/graph-function.ts).
   */
  get graphCalls(): { graph: number; eager: number } {
    const total = { graph: 0, eager: 0 };
    for (const f of this.graphFunctions()) {
      total.graph += f.calls.graph;
      total.eager += f.calls.eager;
    }
    return total;
  }

  /** The graph functions behind this model's steps (a subclass with its own adds them). */
  protected graphFunctions(): GraphFunction[] {
    return [...this.trainFunctions.values(), ...(this.predictFunction ? [this.predictFunction] : [])];
  }

  /** Names of the values the built-in steps log: `loss`, then per-output losses and metrics. */
  get metricsNames(): string[] {
    return this.requireLoss().names;
  }

  /** Trains on arrays `(x, y)`, on arrays `x` alone (for a custom `trainStep`), or on a stream of batches. */
  async fit(x: ModelData, y: ModelData, options?: FitOptions): Promise<History>;
  async fit(data: ModelData | BatchStream, options?: FitOptions): Promise<History>;
  async fit(x: ModelData | BatchStream, yOrOptions?: ModelData | FitOptions, maybeOptions?: FitOptions): Promise<History> {
    const [y, options] = splitArgs<FitOptions>(yOrOptions, maybeOptions);
    checkOptions(options, FIT_OPTIONS, 'fit');
    this.requireCompiled();
    const { epochs = 1, batchSize = 32, shuffle = true, verbose = 1, initialEpoch = 0 } = options;
    checkPositiveInteger(epochs, 'epochs');
    checkPositiveInteger(batchSize, 'batchSize');
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0)
      throw new OptionError(`initialEpoch must be a whole number ≥ 0, got ${initialEpoch}`);
    if (options.stepsPerEpoch !== undefined) checkPositiveInteger(options.stepsPerEpoch, 'stepsPerEpoch');
    if (options.validationSplit !== undefined && !(options.validationSplit > 0 && options.validationSplit < 1)) {
      throw new OptionError(`validationSplit must be between 0 and 1 (exclusive), got ${options.validationSplit}`);
    }

    if (options.classWeight !== undefined && this.outputNames.length > 1) {
      throw new OptionError(
        `classWeight applies to a single output; this model has ${this.outputNames.length} (${this.outputNames.join(', ')}): pass sampleWeight instead`,
      );
    }

    let train: BatchSource;
    let validation: BatchSource | undefined;
    if (isBatchStream(x)) {
      if (options.validationSplit !== undefined)
        throw new OptionError('validationSplit needs array inputs; with a batch stream pass validationData');
      if (options.sampleWeight !== undefined)
        throw new OptionError('sampleWeight needs array inputs; a batch stream yields { x, y, sampleWeight }');
      train = new StreamBatches(x, options.stepsPerEpoch);
    } else {
      train = this.arrayBatches(x, y, batchSize, shuffle, options.sampleWeight);
    }
    try {
      if (options.validationData !== undefined) {
        // As in Keras, validationData takes precedence over validationSplit.
        validation = this.validationSource(options.validationData, options.validationBatchSize ?? batchSize);
      } else if (options.validationSplit !== undefined && train instanceof ArrayBatches) {
        [train, validation] = train.split(options.validationSplit);
      }
      if (train instanceof ArrayBatches && options.stepsPerEpoch !== undefined) {
        const available = Math.ceil(train.samples / batchSize);
        if (options.stepsPerEpoch > available) {
          throw new OptionError(
            `stepsPerEpoch ${options.stepsPerEpoch} is more than the ${available} batches of ${train.samples} training samples at batch size ${batchSize}: lower it, or leave it out for whole epochs`,
          );
        }
        train.stepsPerEpoch = options.stepsPerEpoch;
      }
      const history = new History();
      const callbacks: Callback[] = [...(options.callbacks ?? [])];
      if (verbose > 0 && !callbacks.some((c) => c instanceof ProgbarLogger)) callbacks.push(new ProgbarLogger());
      callbacks.push(history);
      const samples = train.samples;
      const params: TrainingParams = {
        epochs,
        steps: options.stepsPerEpoch ?? (samples === undefined ? undefined : Math.ceil(samples / batchSize)),
        samples,
        batchSize,
        initialEpoch,
        verbose,
      };
      for (const c of callbacks) {
        c.setModel(this);
        c.setParams(params);
      }
      this.stopTraining = false;
      const classWeight = options.classWeight && classWeightTensor(options.classWeight, this.layersModel.outputs[0]!.shape.at(-1) ?? 1);
      this.initialEpochOverride = undefined;
      for (const c of callbacks) await c.onTrainBegin();
      const firstEpoch = this.initialEpochOverride ?? initialEpoch;
      this.initialEpochOverride = undefined;
      params.initialEpoch = firstEpoch;
      try {
        for (let epoch = firstEpoch; epoch < epochs && !this.stopTraining; epoch++) {
          // Each epoch traces its steps anew (graph-function.ts: retrace), so a resumed run equals an uninterrupted one.
          for (const f of this.graphFunctions()) f.retrace();
          for (const c of callbacks) await c.onEpochBegin(epoch);
          const logs = await this.runEpoch(train, callbacks, classWeight);
          if (params.steps === undefined) params.steps = logs.steps; // learnt from the first pass over a stream
          const epochLogs = logs.means;
          if (validation && !this.stopTraining) {
            for (const [k, v] of Object.entries(await this.evaluateSource(validation, 'validation data'))) epochLogs[`val_${k}`] = v;
          }
          for (const c of callbacks) await c.onEpochEnd(epoch, epochLogs);
        }
      } finally {
        classWeight?.dispose();
        // Also on failure, so callbacks release what they hold (a live progress bar, open files).
        for (const c of callbacks) await c.onTrainEnd();
      }
      return history;
    } finally {
      train.dispose();
      validation?.dispose();
      this.dpFeatures?.features.dispose();
      this.dpFeatures = undefined;
    }
  }

  private async runEpoch(
    source: BatchSource,
    callbacks: Callback[],
    classWeight: Tensor | undefined,
  ): Promise<{ means: Logs; steps: number }> {
    const totals = new RunningMeans();
    let step = 0;
    for await (const next of this.trainingSteps(source, classWeight)) {
      for (const c of callbacks) await c.onTrainBatchBegin(step);
      const logs = await next.run();
      totals.add(logs, next.size);
      for (const c of callbacks) await c.onTrainBatchEnd(step, { ...logs, batch: step, size: next.size });
      step++;
      // Native kernels run synchronously: yield to the event loop so timers (the progress bar) and signals
      // (Ctrl-C setting stopTraining) are handled between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopTraining) break;
    }
    if (step === 0)
      throw new OptionError('the training data yielded no batches: for a batch stream, make it re-iterable or pass stepsPerEpoch');
    return { means: totals.means(), steps: step };
  }

  /**
   * The epoch's training steps. Usually `trainStep` on each batch; with arrays, the built-in step and dl's Adam, the
   * graph step gathers each batch's rows itself, so no eager op runs between two steps.
   */
  private async *trainingSteps(
    source: BatchSource,
    classWeight: Tensor | undefined,
  ): AsyncIterable<{ size: number; run(): Logs | Promise<Logs> }> {
    const { optimizer } = this.requireCompiled();
    const dp = dpSettingsOf(optimizer);
    if (dp && this.trainStep === Model.prototype.trainStep) {
      if (!(source instanceof ArrayBatches)) {
        throw new OptionError(
          'DP-SGD training (dpAdam, dpSgd) needs array inputs: its Poisson sampling draws every example independently at each step, which a batch stream cannot do',
        );
      }
      if (classWeight !== undefined || source.arrays.sampleWeight !== undefined) {
        throw new OptionError("DP-SGD training does not take classWeight or sampleWeight: they would change each example's sensitivity");
      }
      const spec = this.dpStepSpec(dp, source.expectedBatchSize);
      // Fixed leading layers (the scattering transform) run once per fit, not in every step.
      const count = precomputableCount(spec.layers);
      let arrays = source.arrays;
      if (count > 0) {
        let cached = this.dpFeatures;
        if (cached === undefined || cached.input !== arrays.x[0] || cached.count !== count) {
          cached?.features.dispose();
          cached = this.dpFeatures = {
            input: arrays.x[0]!,
            count,
            features: precomputeFeatures(spec.layers.slice(0, count), arrays.x[0]!),
          };
        }
        spec.layers = spec.layers.slice(count);
        arrays = { ...arrays, x: [cached.features] };
      }
      for (const { rows, size } of source.poissonRows()) yield { size, run: () => this.dpTrainRows(spec, arrays, rows) };
      return;
    }
    if (
      source instanceof ArrayBatches &&
      classWeight === undefined &&
      this.trainStep === Model.prototype.trainStep &&
      runsInGraph(optimizer)
    ) {
      const arrays = source.arrays;
      for (const { start, rows, size } of source.rowsPerBatch()) {
        yield { size, run: () => this.trainRows(arrays, rows ?? range(start, size)) };
      }
      return;
    }
    for await (const { batch, owned } of source.epoch()) {
      yield {
        size: batch.size,
        run: async () => {
          try {
            if (source instanceof StreamBatches) checkInputShapes(this.layersModel, batch.x);
            if (classWeight) {
              const w = tf.tidy(() => tf.gather(classWeight, tf.cast(batch.y[0]!.flatten(), 'int32')));
              owned.push(w);
              batch.sampleWeight = batch.sampleWeight ? tf.mul(batch.sampleWeight, w) : w;
              if (batch.sampleWeight !== w) owned.push(batch.sampleWeight);
            }
            return await this.trainStep(batch);
          } finally {
            tf.dispose(owned);
          }
        },
      };
    }
  }

  /** The built-in step on rows `rows` of whole arrays, gathered inside the step's graph. */
  private trainRows(arrays: { x: Tensor[]; y: Tensor[]; sampleWeight?: Tensor }, rows: Int32Array): Logs {
    const { optimizer } = this.requireCompiled();
    const loss = this.requireLoss();
    const layout = layoutOf(arrays);
    const step = this.builtInTrainFunction(`rows ${JSON.stringify(layout)}`, (inputs) => {
      const indices = inputs.at(-1)!;
      const batch = unpackBatch(
        inputs.slice(0, -1).map((t) => tf.gather(t, indices)),
        layout,
      );
      return [this.trainValues(optimizer, loss, batch)];
    });
    const indices = tf.tensor1d(rows, 'int32');
    try {
      const [values] = step.run([...packBatch(arrays), indices]);
      return readLogs(loss.names, values!);
    } finally {
      indices.dispose();
    }
  }

  /** What the DP step needs, checked: a chain of supported layers, one input and output, loss and metrics it can log per example. */
  private dpStepSpec(dp: DpSettings, expectedBatchSize: number): DpStepSpec {
    const loss = this.requireLoss();
    const net = this.layersModel;
    if (net.inputs.length !== 1 || net.outputs.length !== 1) {
      throw new OptionError(
        `DP-SGD training needs a model with one input and one output; '${this.name}' has ${net.inputs.length} and ${net.outputs.length}`,
      );
    }
    const unsupported = loss.metricNames.filter((m) => m !== 'accuracy');
    if (unsupported.length > 0) throw new OptionError(`DP-SGD training logs 'accuracy' only, not ${unsupported.join(', ')}`);
    const layers = net.layers.filter((l) => l.getClassName() !== 'InputLayer') as Layer[];
    checkDpLayers(layers);
    return { layers, dp, loss: loss.lossFunctions[0]!, expectedBatchSize, accuracy: loss.metricNames.includes('accuracy') };
  }

  /**
   * The DP step on rows `rows` of the arrays: the rows are padded to a size fixed per expected batch size (Poisson
   * batches vary, a traced graph does not; padding rows are masked out), so the step keeps one graph.
   */
  private dpTrainRows(spec: DpStepSpec, arrays: { x: Tensor[]; y: Tensor[] }, rows: Int32Array): Logs {
    const { optimizer } = this.requireCompiled();
    const padded = paddedBatchSize(spec.expectedBatchSize, rows.length);
    const key = `dp ${padded} ${spec.expectedBatchSize} ${spec.accuracy}`;
    const step = this.builtInTrainFunction(key, ([x, y, indices, mask]) => [
      dpTrainValues(spec, optimizer, tf.gather(x!, indices!), tf.gather(y!, indices!), mask!),
    ]);
    const indices = new Int32Array(padded);
    indices.set(rows);
    const mask = new Float32Array(padded).fill(1, 0, rows.length);
    const [indexTensor, maskTensor] = [tf.tensor1d(indices, 'int32'), tf.tensor1d(mask)];
    try {
      const [values] = step.run([arrays.x[0]!, arrays.y[0]!, indexTensor, maskTensor]);
      return readLogs(spec.accuracy ? ['loss', 'accuracy'] : ['loss'], values!);
    } finally {
      tf.dispose([indexTensor, maskTensor]);
    }
  }

  /**
   * One gradient step on `batch`; returns the values to log (`loss`, metrics). Override it — in a subclass or by
   * assignment — for custom training such as a GAN's alternating updates; `fit` drives it with every callback and the
   * progress bar. Tensors it creates should be disposed (wrap the body in `tf.tidy`).
   */
  trainStep(batch: Batch): Logs | Promise<Logs> {
    const { optimizer } = this.requireCompiled();
    const loss = this.requireLoss();
    // With dl's Adam (whose host-side work is declared to traced steps), the step runs as one TensorFlow graph.
    if (runsInGraph(optimizer)) {
      const layout = layoutOf(batch);
      const step = this.builtInTrainFunction(JSON.stringify(layout), (inputs) => [
        this.trainValues(optimizer, loss, unpackBatch(inputs, layout)),
      ]);
      const [values] = step.run(packBatch(batch));
      return readLogs(loss.names, values!);
    }
    return readLogs(
      loss.names,
      tf.tidy(() => this.trainValues(optimizer, loss, batch)),
    );
  }

  /** The built-in step's graph function under `key` (one per batch layout), made from `body` on first use. */
  private builtInTrainFunction(key: string, body: (inputs: Tensor[]) => Tensor[]): GraphFunction {
    let step = this.trainFunctions.get(key);
    if (!step) this.trainFunctions.set(key, (step = new GraphFunction(body, 'train_step')));
    return step;
  }

  /** One gradient step's logged values (loss, per-output losses, metrics) as one vector. */
  private trainValues(optimizer: Optimizer, loss: CompiledLoss, batch: Batch): Tensor {
    let yPred: Tensor[] = [];
    let parts: Scalar[] = [];
    const total = optimizer.minimize(
      () => {
        const computed = this.computeLoss(batch, true);
        yPred = computed.yPred.map((t) => tf.keep(t));
        parts = computed.parts.map((p) => tf.keep(p));
        return computed.total;
      },
      true,
      this.trainableVariables(),
    ) as Scalar;
    try {
      return tf.stack([total, ...parts, ...loss.computeMetrics(batch.y, yPred)]);
    } finally {
      // Kept to outlive minimize's own scope, so no enclosing tidy frees them.
      tf.dispose([...yPred, ...parts]);
    }
  }

  /** Loss and metrics on one batch without training; override alongside `trainStep` when needed. */
  testStep(batch: Batch): Logs | Promise<Logs> {
    const loss = this.requireLoss();
    return tf.tidy(() => {
      const { yPred, total, parts } = this.computeLoss(batch, false);
      return readLogs(loss.names, tf.stack([total, ...parts, ...loss.computeMetrics(batch.y, yPred)]));
    });
  }

  /**
   * The forward pass and the compiled loss on `batch`. A softmax output trained with sparse categorical cross-entropy
   * is computed as logits and its loss by TensorFlow's fused kernel, as Keras does (softmax-logits.ts); `yPred` holds
   * its probabilities all the same.
   */
  private computeLoss(batch: Batch, training: boolean): { yPred: Tensor[]; total: Scalar; parts: Scalar[] } {
    const loss = this.requireLoss();
    const regularization = () => this.layersModel.calculateLosses() as Scalar[];
    const fromLogits = loss.fromLogits(softmaxOutputs(this.layersModel));
    if (!fromLogits.some(Boolean)) {
      const yPred = this.forward(batch.x, training);
      return { yPred, ...loss.compute(batch.y, yPred, batch.sampleWeight, regularization()) };
    }
    const outputs = withLogits(this.layersModel, fromLogits, () => this.forward(batch.x, training));
    const yPred = outputs.map((o, i) => (fromLogits[i] ? tf.softmax(o) : o));
    const logits = outputs.map((o, i) => (fromLogits[i] ? o : undefined));
    return { yPred, ...loss.compute(batch.y, yPred, batch.sampleWeight, regularization(), logits) };
  }

  /** Loss and metrics on arrays `(x, y)`, on arrays `x` alone (for a custom `testStep`) or a batch stream, averaged over all samples. */
  async evaluate(x: ModelData, y: ModelData, options?: EvaluateOptions): Promise<Logs>;
  async evaluate(data: ModelData | BatchStream, options?: EvaluateOptions): Promise<Logs>;
  async evaluate(x: ModelData | BatchStream, yOrOptions?: ModelData | EvaluateOptions, maybeOptions?: EvaluateOptions): Promise<Logs> {
    const [y, options] = splitArgs<EvaluateOptions>(yOrOptions, maybeOptions);
    checkOptions(options, EVALUATE_OPTIONS, 'evaluate');
    this.requireCompiled();
    const batchSize = options.batchSize ?? 32;
    checkPositiveInteger(batchSize, 'batchSize');
    const source = isBatchStream(x) ? new StreamBatches(x) : this.arrayBatches(x, y, batchSize, false, options.sampleWeight);
    try {
      return await this.evaluateSource(source);
    } finally {
      source.dispose();
    }
  }

  private async evaluateSource(source: BatchSource, what = 'evaluation data'): Promise<Logs> {
    const totals = new RunningMeans();
    let steps = 0;
    for await (const { batch, owned } of source.epoch()) {
      try {
        if (source instanceof StreamBatches) checkInputShapes(this.layersModel, batch.x);
        totals.add(await this.testStep(batch), batch.size);
        steps++;
      } finally {
        tf.dispose(owned);
      }
    }
    if (steps === 0)
      throw new OptionError(`the ${what} yielded no batches: for a batch stream, make it re-iterable (each pass starts over)`);
    return totals.means();
  }

  /**
   * The model's outputs for `x`, computed in batches: a tensor, or one per output (`predict<Tensor[]>(x)` for a
   * model with several outputs). The caller disposes them.
   */
  predict<T extends Tensor | Tensor[] = Tensor>(x: ModelData, options: PredictOptions = {}): T {
    checkOptions(options, PREDICT_OPTIONS, 'predict');
    const batchSize = options.batchSize ?? 32;
    checkPositiveInteger(batchSize, 'batchSize');
    const owned: Tensor[] = [];
    const xs = toTensors(x, owned);
    try {
      checkInputShapes(this.layersModel, xs);
      // Batch by batch through one graph function (the forward pass at inference), as Keras's predict.
      this.predictFunction ??= new GraphFunction((inputs) => this.forward(inputs, false), 'predict');
      const perBatch: Tensor[][] = [];
      try {
        for (const batch of predictBatches(xs, batchSize)) perBatch.push(this.predictFunction.run(batch));
        const outputs = perBatch[0]!.map((_, k) => (perBatch.length === 1 ? perBatch[0]![k]! : tf.concat(perBatch.map((b) => b[k]!))));
        return (outputs.length === 1 ? outputs[0] : outputs) as T;
      } finally {
        if (perBatch.length > 1) tf.dispose(perBatch.flat());
      }
    } finally {
      tf.dispose(owned);
    }
  }

  /** The outputs for a batch of inputs, always as a list; `training` switches dropout and batch-norm updates. */
  forward(x: Tensor[], training: boolean): Tensor[] {
    const out = this.layersModel.apply(x.length === 1 ? x[0]! : x, { training }) as Tensor | Tensor[];
    return Array.isArray(out) ? out : [out];
  }

  private trainableVariables(): Variable[] {
    return this.layersModel.trainableWeights.map((w) => w.read() as Variable);
  }

  private arrayBatches(
    x: ModelData,
    y: ModelData | undefined,
    batchSize: number,
    shuffle: boolean,
    sampleWeight?: TensorLike,
  ): ArrayBatches {
    const owned: Tensor[] = [];
    try {
      const xs = toTensors(x, owned);
      checkInputShapes(this.layersModel, xs);
      const ys = y === undefined ? [] : toTensors(y, owned);
      const sw = sampleWeight === undefined ? undefined : toTensors(sampleWeight, owned)[0];
      return new ArrayBatches(xs, ys, batchSize, shuffle, owned, sw);
    } catch (err) {
      tf.dispose(owned);
      throw err;
    }
  }

  private validationSource(data: [ModelData, ModelData] | BatchStream, batchSize: number): BatchSource {
    if (isBatchStream(data)) return new StreamBatches(data);
    if (!Array.isArray(data) || data.length !== 2) throw new OptionError('validationData must be [x, y] or a batch stream');
    return this.arrayBatches(data[0], data[1], batchSize, false);
  }

  /**
   * Saves the model in TF.js layers format into `dir`: `model.json` and one weights file, with the optimizer's state
   * and compile configuration so `loadModel` can resume training. A crash mid-save leaves the previous save loadable.
   * A path ending in `.keras` writes a Keras 3 file instead (keras/save-keras-model.ts; README "Writing .keras files").
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const { metadata = this.metadata, includeOptimizer = true } = options;
    if (dir.toLowerCase().endsWith('.keras')) return this.saveKeras(dir, metadata, includeOptimizer, options.overwrite);
    let artifacts: io.ModelArtifacts | undefined;
    await this.layersModel.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const optimizerWeights = includeOptimizer && this.compiled ? await this.compiled.optimizer.getWeights() : [];
    try {
      await writeModelFiles(dir, artifacts!, {
        ...(metadata ? { metadata } : {}),
        ...(this.compileConfig ? { compile: this.compileConfig } : {}),
        optimizerWeights,
      });
    } finally {
      // getWeights returns the optimizer's own variables plus a fresh step-count scalar, which is ours to free.
      tf.dispose(optimizerWeights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
    }
    if (metadata) this.layersModel.setUserDefinedMetadata(metadata);
  }

  /**
   * The model as a Keras 3 `.keras` file (keras/save-keras-model.ts); compiled with Adam and named losses and metrics,
   * with Keras's compile config and Adam's state (keras/keras-adam-state.ts), so Keras continues the training.
   */
  private async saveKeras(
    file: string,
    metadata: ModelMetadata | undefined,
    includeOptimizer: boolean,
    overwrite?: boolean,
  ): Promise<void> {
    // Imported on demand: the HDF5 writer (WebAssembly) loads only for those who write .keras files.
    const { saveKerasModel } = await import('./keras/save-keras-model.js');
    const { kerasCompileConfig } = await import('./keras/keras-compile-config.js');
    const { adamSettings, kerasAdamState } = await import('./keras/keras-adam-state.js');
    const adam = includeOptimizer && this.compiled ? adamSettings(this.compiled.optimizer) : undefined;
    const compileConfig = adam && this.compileConfig && kerasCompileConfig(this.compileConfig, adam, this.outputNames);
    const training =
      compileConfig && this.compiled
        ? { compileConfig, adam: await kerasAdamState(this.compiled.optimizer, this.trainableRefs(), file) }
        : undefined;
    await saveKerasModel(file, this.layersModel, {
      ...(training ? { training } : {}),
      ...(metadata ? { metadata } : {}),
      ...(overwrite !== undefined ? { overwrite } : {}),
    });
    if (metadata) this.layersModel.setUserDefinedMetadata(metadata);
  }

  /** The trainable variables' names and shapes, in the order the optimizer sees them. */
  private trainableRefs(): { name: string; shape: number[] }[] {
    return this.layersModel.trainableWeights.map((w) => ({ name: w.name, shape: [...w.shape] as number[] }));
  }

  /**
   * Restores Keras's compile settings and Adam state read from a `.keras` file (loadModel), so training continues.
   * @internal
   */
  async restoreKerasTraining(loaded: { compile?: CompileOptions; optimizer?: unknown }, file: string): Promise<void> {
    if (!loaded.compile) return;
    this.compile(loaded.compile);
    if (!loaded.optimizer) return;
    const { setAdamFromKeras } = await import('./keras/keras-adam-state.js');
    await setAdamFromKeras(this.optimizer, loaded.optimizer as Parameters<typeof setAdamFromKeras>[1], this.trainableRefs(), file);
  }

  /**
   * Restores this model in place from a save in `dir` (what `save` wrote): its weights, and its optimizer's state when
   * saved — as Keras's `load_weights`, plus the optimizer. The save must be of this same network: the weights are
   * matched in order and every shape checked first, so a save of another network is refused with the first
   * difference named, before anything changes. Returns the save's metadata (also what `metadata` now returns).
   *
   * @throws {ModelFileError} when `dir` holds no readable save, or one of another network.
   */
  async loadWeights(dir: string): Promise<ModelMetadata | undefined> {
    const files = await readModelFiles(dir);
    const file = join(dir, MODEL_JSON);
    try {
      const specs = (files.artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
      const own = this.layersModel.weights;
      const described = (shape: readonly (number | null)[]) => `[${shape.join(', ')}]`;
      for (let i = 0; i < Math.max(own.length, specs.length); i++) {
        const mine = own[i];
        const saved = specs[i];
        if (mine === undefined || saved === undefined) {
          throw new ModelFileError(
            file,
            `holds ${specs.length} weights, but the model '${this.name}' has ${own.length}: it is a save of another network`,
          );
        }
        if (described(mine.shape) !== described(saved.shape)) {
          throw new ModelFileError(
            file,
            `weight ${i + 1} ('${saved.name}') has the shape ${described(saved.shape)}, but the model's ('${mine.originalName}') is ${described(mine.shape)}: it is a save of another network`,
          );
        }
      }
      const decoded = tf.io.decodeWeights(files.artifacts.weightData!, files.artifacts.weightSpecs ?? []);
      try {
        this.layersModel.setWeights(specs.map((s) => decoded[s.name]!));
      } finally {
        tf.dispose(Object.values(decoded));
      }
      if (files.optimizerWeights.length > 0 && this.compiled) await this.compiled.optimizer.setWeights(files.optimizerWeights);
    } finally {
      tf.dispose(files.optimizerWeights.map((w) => w.tensor));
    }
    const metadata = files.json.userDefinedMetadata as ModelMetadata | undefined;
    if (metadata) this.layersModel.setUserDefinedMetadata(metadata);
    return metadata;
  }

  /**
   * The metadata of the save in `dir` (what `save` stored), read without loading its weights; undefined when `dir`
   * holds no save. A subclass with a save layout of its own (a GAN's subfolders) says where its metadata lives.
   */
  readSavedMetadata(dir: string): Promise<ModelMetadata | undefined> {
    return readSavedMetadata(dir);
  }

  /** The metadata stored by `save`, if any. */
  get metadata(): ModelMetadata | undefined {
    return this.layersModel.getUserDefinedMetadata() as ModelMetadata | undefined;
  }

  /** Prints Keras's layer table: layer, output shape, parameter count, totals (trainable and not). */
  summary(printFn: (line: string) => void = console.log): void {
    for (const line of summaryLines(this.layersModel)) printFn(line);
  }

  private requireCompiled(): NonNullable<Model['compiled']> {
    if (!this.compiled)
      throw new OptionError(`model '${this.name}' is not compiled: call model.compile({ optimizer, loss, metrics }) first`);
    return this.compiled;
  }

  private requireLoss(): CompiledLoss {
    const { loss } = this.requireCompiled();
    if (!loss)
      throw new OptionError(`model '${this.name}' was compiled without a loss: pass compile({ loss }) or override trainStep/testStep`);
    return loss;
  }
}

export interface SequentialOptions {
  name?: string;
}

/** A linear stack of layers, as `keras.Sequential([...])`. The first layer needs `inputShape`. */
export function sequential(layers: Layer[], options: SequentialOptions = {}): Model {
  return new Model(tfl.sequential({ layers: layers as unknown as LayersModel['layers'], ...(options.name ? { name: options.name } : {}) }));
}

/**
 * Loads a model saved by `Model.save` (or any TF.js layers-format `model.json`) from `dir`. When it was saved compiled,
 * it comes back compiled, with its optimizer's state, ready to continue training.
 *
 * A path ending in `.keras` is read as a Keras 3 file (`model.save("x.keras")` in Python, or dl's `save('x.keras')`):
 * its architecture and weights, compiled with Adam's state when it was saved compiled with Adam and losses dl has,
 * else uncompiled (compile it to train it). One ending in `.h5` (or `.hdf5`) is read as a legacy Keras 2 or 3 file
 * (`model.save("x.h5")`): its architecture and weights, uncompiled. A layer dl does not support is refused with a
 * ModelFileError naming it and listing those it does; see "Keras models (.keras)" in the README.
 *
 * @throws {ModelFileError} when the folder or file cannot be loaded as a whole.
 */
export async function loadModel(dir: string): Promise<Model> {
  if (/\.(keras|h5|hdf5)$/i.test(dir)) {
    // Imported on demand: the HDF5 reader (WebAssembly) loads only for those who read .keras files.
    const { loadKerasNetwork } = await import('./keras/load-keras-model.js');
    const loaded = await loadKerasNetwork(dir);
    const model = new Model(loaded.net);
    const dlMetadata = loaded.kerasMetadata.dl_metadata;
    if (dlMetadata && typeof dlMetadata === 'object') model.net.setUserDefinedMetadata(dlMetadata as ModelMetadata);
    try {
      await model.restoreKerasTraining(loaded, dir);
    } catch (err) {
      model.net.dispose();
      throw err;
    }
    return model;
  }
  const files = await readModelFiles(dir);
  const { modelTopology, weightSpecs, weightData } = files.artifacts;
  // Deserialized with dl's layer classes (fused kernels), synchronously: no weights passed, so nothing is awaited first.
  const net = await withDlLayerClasses(() => tfl.models.modelFromJSON({ modelTopology } as never));
  if (weightSpecs?.length) {
    const weights = tf.io.decodeWeights(weightData!, weightSpecs);
    // The optimizer's entries (group 'optimizer') are files.optimizerWeights, restored below.
    const modelWeights = Object.fromEntries(
      weightSpecs.filter((spec) => spec.group !== 'optimizer').map((spec) => [spec.name, weights[spec.name]!]),
    );
    try {
      net.loadWeights(modelWeights);
    } finally {
      tf.dispose(Object.values(weights));
    }
  }
  const model = new Model(net);
  if (files.json.userDefinedMetadata) model.net.setUserDefinedMetadata(files.json.userDefinedMetadata);
  if (files.json.dlCompile) {
    model.compile(files.json.dlCompile as CompileOptions);
    if (files.optimizerWeights.length) await model.optimizer.setWeights(files.optimizerWeights);
  }
  tf.dispose(files.optimizerWeights.map((w) => w.tensor));
  return model;
}

/** Sums of logged values weighted by batch size, for the per-epoch means Keras reports. */
class RunningMeans {
  private readonly sums = new Map<string, number>();
  private count = 0;

  add(logs: Logs, size: number): void {
    this.count += size;
    for (const [k, v] of Object.entries(logs)) this.sums.set(k, (this.sums.get(k) ?? 0) + v * size);
  }

  means(): Logs {
    const out: Logs = {};
    for (const [k, v] of this.sums) out[k] = v / Math.max(1, this.count);
    return out;
  }
}

/** The logged values, one vector, to numbers with a single device read (the vector is disposed). */
function readLogs(names: string[], values: Tensor): Logs {
  const data = values.dataSync();
  values.dispose();
  const logs: Logs = {};
  names.forEach((name, i) => (logs[name] = data[i]!));
  return logs;
}

/**
 * Rows a DP step is padded to: the expected size plus 4 standard deviations of Poisson sampling's binomial (exceeded
 * with probability ~3e-5), rounded up to 8; a larger draw gets the next multiple of that (a second graph, rarely).
 */
function paddedBatchSize(expected: number, actual: number): number {
  const cap = Math.ceil((expected + 4 * Math.sqrt(expected) + 1) / 8) * 8;
  return actual <= cap ? cap : Math.ceil(actual / cap) * cap;
}

/** `count` consecutive row numbers from `start`. */
function range(start: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => start + i);
}

/** How many inputs and targets a batch has, and whether it has sample weights: what its graph step depends on. */
interface BatchLayout {
  x: number;
  y: number;
  weighted: boolean;
}

function layoutOf(batch: Pick<Batch, 'x' | 'y' | 'sampleWeight'>): BatchLayout {
  return { x: batch.x.length, y: batch.y.length, weighted: batch.sampleWeight !== undefined };
}

/** A batch as one list of tensors (a traced step's inputs): x, then y, then the sample weights if any. */
function packBatch(batch: Pick<Batch, 'x' | 'y' | 'sampleWeight'>): Tensor[] {
  return [...batch.x, ...batch.y, ...(batch.sampleWeight ? [batch.sampleWeight] : [])];
}

/** `packBatch`'s inverse, for `x` inputs, `y` targets and maybe sample weights. */
function unpackBatch(inputs: Tensor[], layout: BatchLayout): Batch {
  const batch: Batch = { x: inputs.slice(0, layout.x), y: inputs.slice(layout.x, layout.x + layout.y), size: inputs[0]!.shape[0]! };
  if (layout.weighted) batch.sampleWeight = inputs[layout.x + layout.y]!;
  return batch;
}

/** Per-class weights indexed by label; classes not named weigh 1. `outputWidth` 1 is a sigmoid output (classes 0, 1). */
function classWeightTensor(classWeight: Record<number, number>, outputWidth: number): Tensor {
  const classes = Object.keys(classWeight).map(Number);
  if (classes.length === 0) throw new OptionError('classWeight is empty: give a weight per class index, e.g. { 0: 1, 1: 5 }');
  if (classes.some((c) => !Number.isInteger(c) || c < 0))
    throw new OptionError(`classWeight keys must be class indices (0, 1, …), got ${Object.keys(classWeight).join(', ')}`);
  const weights = new Float32Array(Math.max(Math.max(...classes) + 1, outputWidth, 2)).fill(1);
  for (const c of classes) weights[c] = classWeight[c]!;
  return tf.tensor1d(weights);
}

/** `(x, y, options)` or `(x, options)`: an options object is a plain object that is not data. */
function splitArgs<O extends object>(second: unknown, third: O | undefined): [ModelData | undefined, O] {
  const isData =
    second instanceof tf.Tensor ||
    Array.isArray(second) ||
    (typeof second === 'object' && second !== null && 'shape' in second && 'data' in second);
  if (second === undefined || !isData) return [undefined, (third ?? second ?? {}) as O];
  return [second as ModelData, third ?? ({} as O)];
}

function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new OptionError(`${name} must be a positive integer, got ${value}`);
}

function checkOptions(options: object, valid: ReadonlyArray<string>, fn: string): void {
  const unknown = Object.keys(options).filter((k) => !valid.includes(k));
  if (unknown.length)
    throw new OptionError(
      `${fn}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid options: ${valid.join(', ')}`,
    );
}
