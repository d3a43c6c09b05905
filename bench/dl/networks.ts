/**
 * The networks of the workloads, built with dl's public API. Where a dl preset provides the network (the `cnn` preset;
 * an IMDB LSTM or text-classifier preset once @dl/models has one) the preset's own `build()` and `compileOptions()`
 * are used, so the benchmark follows the preset; otherwise the network is defined here.
 *
 * `describeWorkload` turns the built networks into a JSON spec (layer classes and configs, input shape, optimizer,
 * loss, synthetic data shapes) from which bench/keras/common.py builds the same networks in Keras.
 */
import type { WorkloadName } from '../workloads.js';
import { Gan } from './gan.js';
import { layers, Model, PRESETS, sequential, tf, type CompileOptions, type Preset } from './dl.js';

/** Shape and value range of a synthetic array (without the batch axis). */
export interface ArraySpec {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Values uniform in [low, high); integers when dtype is int32. */
  low: number;
  high: number;
}

export interface LayerSpec {
  className: string;
  config: Record<string, unknown>;
}

export interface NetworkSpec {
  name: string;
  inputShape: number[];
  inputDtype: 'float32' | 'int32';
  layers: LayerSpec[];
  params: number;
  /** Multiply-adds of one sample's forward pass through Conv2D, Conv2DTranspose, Dense and LSTM layers. */
  forwardMacs: number;
  /** One line: `Conv2D(32, 3×3, relu) → MaxPooling2D(2×2) → …`. */
  summary: string;
}

export interface OptimizerSpec {
  name: string;
  learningRate: number;
  [option: string]: number | string;
}

export interface WorkloadSpec {
  workload: WorkloadName;
  /** Where the network comes from: a dl preset or this file. */
  source: string;
  kind: 'fit' | 'predict' | 'gan';
  networks: Record<string, NetworkSpec>;
  optimizer: OptimizerSpec;
  /** dl loss name (fit/predict), e.g. 'sparseCategoricalCrossentropy'. */
  loss?: string;
  metrics?: string[];
  /** GAN: size of the generator's latent input. */
  latentDim?: number;
  x: ArraySpec;
  y?: ArraySpec;
}

/** What a workload trains or runs, built fresh. */
export interface Built {
  source: string;
  kind: WorkloadSpec['kind'];
  /** The model `fit`/`predict` runs (for the GAN: the GAN model, whose trainStep drives both networks). */
  model: Model;
  /** The networks to mirror in Keras, by role. */
  networks: Record<string, Model>;
  compile: CompileOptions;
  latentDim?: number;
  x: ArraySpec;
  /** Targets, for `fit`/`predict` workloads. */
  y?: ArraySpec;
}

const DEFAULT_COMPILE_TEXT: CompileOptions = { optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] };
/** IMDB reviews padded or cut to this many word ids when no preset says otherwise (as @dl/data's examples do). */
const SEQUENCE_LENGTH = 200;
const VOCABULARY = 20000;

export function build(workload: WorkloadName): Built {
  switch (workload) {
    case 'cnn-train':
    case 'cnn-infer':
      return fromPreset(PRESETS.cnn!, workload === 'cnn-train' ? 'fit' : 'predict');
    case 'lstm-train': {
      const found = findPreset('lstm', (m) => hasLayers(m, 'Embedding', 'LSTM'));
      if (found) return fromPreset(found, 'fit');
      const model = sequential(
        [
          layers.embedding({ inputDim: VOCABULARY, outputDim: 128, inputShape: [SEQUENCE_LENGTH] }),
          layers.lstm({ units: 64 }),
          layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
        { name: 'imdb_lstm' },
      );
      return compiled(model, DEFAULT_COMPILE_TEXT, 'bench/dl/networks.ts (no LSTM preset in @dl/models)');
    }
    case 'text-train': {
      const found = findPreset('text-classifier', (m) => hasLayers(m, 'Embedding', 'GlobalAveragePooling1D'));
      if (found) return fromPreset(found, 'fit');
      const model = sequential(
        [
          layers.embedding({ inputDim: VOCABULARY, outputDim: 64, inputShape: [SEQUENCE_LENGTH] }),
          layers.globalAveragePooling1d(),
          layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
        { name: 'text_classifier' },
      );
      return compiled(model, DEFAULT_COMPILE_TEXT, 'bench/dl/networks.ts (no text-classifier preset in @dl/models)');
    }
    case 'gan-train': {
      const found = findPreset('gan', (m) => isGan(m));
      if (found) return ganFromPreset(found);
      return ganNetworks();
    }
  }
}

interface Found {
  preset: Preset;
  model: Model;
}

function fromPreset(preset: Preset | Found, kind: 'fit' | 'predict'): Built {
  const { preset: p, model } = 'model' in preset ? preset : { preset, model: preset.build() };
  return withData({ source: `preset '${p.name}'`, kind, model, networks: { model }, compile: p.compileOptions() });
}

function compiled(model: Model, compile: CompileOptions, source: string): Built {
  model.compile(compile);
  return withData({ source, kind: 'fit', model, networks: { model }, compile });
}

function withData(built: Omit<Built, 'x' | 'y'>): Built {
  const loss = built.compile.loss;
  if (typeof loss !== 'string') throw new Error(`only a single named loss can be mirrored in Keras, got ${JSON.stringify(loss)}`);
  return { ...built, x: inputSpec(built.model), y: targetSpec(built.model, loss) };
}

/**
 * The preset called `name` when its model satisfies `match`, else the first other preset (in registry order, `cnn`
 * aside) whose model does; with that model. Only the presets tried are built (and the rejected ones disposed).
 */
function findPreset(name: string, match: (model: Model) => boolean): Found | undefined {
  const candidates = [PRESETS[name], ...Object.values(PRESETS).filter((p) => p.name !== name)].filter((p): p is Preset => p !== undefined);
  for (const preset of candidates) {
    if (preset.name === 'cnn') continue;
    const model = preset.build();
    if (match(model)) return { preset, model };
    for (const net of Object.values(networksOf(model))) net.net.dispose();
  }
  return undefined;
}

function hasLayers(model: Model, ...classNames: string[]): boolean {
  const classes = model.net.layers.map((l) => l.getClassName());
  return classNames.every((c) => classes.includes(c));
}

/** A GAN model as dl's presets make them: a Model with `generator` and `discriminator` networks and its own trainStep. */
type GanLike = Model & { generator: Model; discriminator: Model };

function isGan(model: Model): model is GanLike {
  const m = model as Partial<GanLike>;
  return m.generator instanceof Model && m.discriminator instanceof Model;
}

function networksOf(model: Model): Record<string, Model> {
  return isGan(model) ? { generator: model.generator, discriminator: model.discriminator } : { model };
}

/** Synthetic inputs of the model's shape: word ids below the vocabulary size for an Embedding, else pixels in [0, 1). */
function inputSpec(model: Model): ArraySpec {
  const shape = model.net.inputs[0]!.shape.slice(1).map((d) => d ?? SEQUENCE_LENGTH);
  const first = model.net.layers.find((l) => l.getClassName() !== 'InputLayer')!;
  if (first.getClassName() === 'Embedding') {
    return { shape, dtype: 'int32', low: 0, high: first.getConfig().inputDim as number };
  }
  return { shape, dtype: 'float32', low: 0, high: 1 };
}

// ---------------------------------------------------------------------------------------------------------------
// GAN: the `gan` preset's model (a dl Model whose trainStep alternates a discriminator and a generator update), or,
// without such a preset, the DCGAN of TensorFlow's tutorial (tensorflow.org/tutorials/generative/dcgan) on 28×28×1 images, trained
// as keras.io's "DCGAN overriding train_step": each step one discriminator update on generated + real images, then
// one generator update through the discriminator. Losses are binary cross-entropy on logits; adam 1e-4 for both.

export const GAN_LATENT_DIM = 100;
export const GAN_LEARNING_RATE = 1e-4;

function ganFromPreset({ preset, model }: Found): Built {
  const gan = model as GanLike;
  const optimizer = preset.compileOptions().optimizer;
  return {
    source: `preset '${preset.name}'`,
    kind: 'gan',
    model,
    networks: networksOf(model),
    compile: { optimizer },
    latentDim: gan.generator.net.inputs[0]!.shape[1] as number,
    x: { shape: (gan.discriminator.net.inputs[0]!.shape as number[]).slice(1), dtype: 'float32', low: -1, high: 1 },
  };
}

function ganNetworks(): Built {
  const generator = sequential(
    [
      layers.dense({ units: 7 * 7 * 256, useBias: false, inputShape: [GAN_LATENT_DIM] }),
      layers.batchNormalization(),
      layers.leakyReLU(),
      layers.reshape({ targetShape: [7, 7, 256] }),
      layers.conv2dTranspose({ filters: 128, kernelSize: 5, strides: 1, padding: 'same', useBias: false }),
      layers.batchNormalization(),
      layers.leakyReLU(),
      layers.conv2dTranspose({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', useBias: false }),
      layers.batchNormalization(),
      layers.leakyReLU(),
      layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', useBias: false, activation: 'tanh' }),
    ],
    { name: 'generator' },
  );
  const discriminator = sequential(
    [
      layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', inputShape: [28, 28, 1] }),
      layers.leakyReLU(),
      layers.dropout({ rate: 0.3 }),
      layers.conv2d({ filters: 128, kernelSize: 5, strides: 2, padding: 'same' }),
      layers.leakyReLU(),
      layers.dropout({ rate: 0.3 }),
      layers.flatten(),
      layers.dense({ units: 1 }),
    ],
    { name: 'discriminator' },
  );
  return {
    source: 'bench/dl/networks.ts (TensorFlow DCGAN tutorial networks)',
    kind: 'gan',
    model: new Gan(generator, discriminator, { latentDim: GAN_LATENT_DIM, learningRate: GAN_LEARNING_RATE }),
    networks: { generator, discriminator },
    compile: { optimizer: { name: 'adam', learningRate: GAN_LEARNING_RATE } },
    latentDim: GAN_LATENT_DIM,
    x: { shape: [28, 28, 1], dtype: 'float32', low: -1, high: 1 },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Specs for Keras

export function describe(workload: WorkloadName, built: Built): WorkloadSpec {
  const networks = Object.fromEntries(Object.entries(built.networks).map(([role, m]) => [role, networkSpec(m)]));
  const spec: WorkloadSpec = {
    workload,
    source: built.source,
    kind: built.kind,
    networks,
    optimizer: optimizerSpec(built.compile.optimizer),
    x: built.x,
  };
  if (built.kind !== 'gan') {
    spec.loss = built.compile.loss as string;
    spec.metrics = (built.compile.metrics ?? []).map((m) => {
      if (typeof m !== 'string') throw new Error(`${workload}: only named metrics can be mirrored in Keras`);
      return m;
    });
    spec.y = built.y!;
  } else {
    spec.latentDim = built.latentDim!;
  }
  return spec;
}

function networkSpec(model: Model): NetworkSpec {
  const net = model.net;
  const input = net.inputs[0]!;
  const layerList = net.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const first = layerList[0]!;
  return {
    name: net.name,
    inputShape: input.shape.slice(1).map((d) => d ?? SEQUENCE_LENGTH),
    inputDtype: first.getClassName() === 'Embedding' ? 'int32' : 'float32',
    layers: layerList.map((l) => ({ className: l.getClassName(), config: l.getConfig() as Record<string, unknown> })),
    params: net.countParams(),
    forwardMacs: layerList.reduce((sum, l) => sum + forwardMacs(l), 0),
    summary: layerList.map(describeLayer).join(' → '),
  };
}

type Layer = Model['net']['layers'][number];

/** Multiply-adds per sample of the layers that do the arithmetic; element-wise layers and pooling are not counted. */
function forwardMacs(layer: Layer): number {
  const c = layer.getConfig() as Record<string, unknown>;
  const inShape = (layer as unknown as { input: { shape: number[] } }).input.shape.slice(1);
  const outShape = (layer.outputShape as number[]).slice(1);
  const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);
  const [kh, kw] = (c.kernelSize as number[] | undefined) ?? [1, 1];
  switch (layer.getClassName()) {
    case 'Conv2D': // every output position: kh·kw·cin multiply-adds per filter
      return prod(outShape.slice(0, 2)) * kh! * kw! * inShape[2]! * (c.filters as number);
    case 'Conv2DTranspose': // every input position scatters kh·kw·cout values per input channel
      return prod(inShape.slice(0, 2)) * kh! * kw! * inShape[2]! * (c.filters as number);
    case 'Dense':
      return prod(inShape) * (c.units as number);
    case 'LSTM': {
      // per step: four gates over [input, hidden]
      const units = c.units as number;
      return inShape[0]! * 4 * units * (inShape[1]! + units);
    }
    default:
      return 0;
  }
}

function describeLayer(layer: Layer): string {
  const c = layer.getConfig() as Record<string, unknown>;
  const act = typeof c.activation === 'string' && c.activation !== 'linear' ? `, ${c.activation}` : '';
  const k = (v: unknown) => (Array.isArray(v) ? v.join('×') : String(v));
  const stride = Array.isArray(c.strides) && c.strides.some((s) => s !== 1) ? `, stride ${k(c.strides)}` : '';
  const name = layer.getClassName();
  switch (name) {
    case 'Conv2D':
    case 'Conv2DTranspose':
      return `${name}(${c.filters}, ${k(c.kernelSize)}${stride}${act})`;
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return `${name}(${k(c.poolSize)})`;
    case 'Dense':
      return `Dense(${c.units}${act})`;
    case 'Embedding':
      return `Embedding(${c.inputDim}, ${c.outputDim})`;
    case 'LSTM':
    case 'GRU':
    case 'SimpleRNN':
      return `${name}(${c.units}${c.returnSequences ? ', sequences' : ''})`;
    case 'Dropout':
      return `Dropout(${c.rate})`;
    case 'Reshape':
      return `Reshape(${k(c.targetShape)})`;
    default:
      return name;
  }
}

function optimizerSpec(optimizer: CompileOptions['optimizer']): OptimizerSpec {
  if (typeof optimizer === 'string') return { name: optimizer, learningRate: optimizer === 'sgd' ? 0.01 : 1e-3 };
  if (optimizer instanceof tf.Optimizer) {
    // A tfjs optimizer instance: its class ('Adam', 'SGD', …) and learning rate are enough for the benchmark.
    const o = optimizer as unknown as { learningRate: number; getClassName(): string };
    return { name: o.getClassName().toLowerCase().replace('optimizer', ''), learningRate: o.learningRate };
  }
  const { name, ...options } = optimizer;
  return { learningRate: name === 'sgd' ? 0.01 : 1e-3, ...options, name } as OptimizerSpec;
}

/** Targets the loss accepts: class ids below the output width, 0/1 labels, or values of the output's shape. */
function targetSpec(model: Model, loss: string): ArraySpec {
  const outShape = (model.net.outputs[0]!.shape as number[]).slice(1);
  switch (loss) {
    case 'sparseCategoricalCrossentropy':
      return { shape: [], dtype: 'int32', low: 0, high: outShape[outShape.length - 1]! };
    case 'binaryCrossentropy':
      return { shape: outShape, dtype: 'int32', low: 0, high: 2 };
    default:
      return { shape: outShape, dtype: 'float32', low: 0, high: 1 };
  }
}
