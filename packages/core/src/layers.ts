/**
 * Layer factories under Keras names, with typed, camelCase options — tfjs-layers' names, declared in layer-options.ts
 * (e.g. `conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] })`).
 *
 * Unnamed layers get Keras's names — the class name in snake_case, numbered from the second one on
 * (`conv2d`, `conv2d_1`, `max_pooling2d`, …) — rather than tfjs's `conv2d_Conv2D1`.
 * Defaults are Keras's where tfjs differs: glorotUniform kernels, sigmoid recurrent gates, LSTM forget-gate bias 1.
 * `kernelRegularizer` / `biasRegularizer` take `l1(…)`, `l2(…)`, `l1l2(…)` from regularizers.ts.
 */
import { tfl } from './tfjs-layers-api.js';
import type {
  ActivationOptions,
  AddOptions,
  AveragePooling2DOptions,
  BatchNormalizationOptions,
  BidirectionalOptions,
  ConcatenateOptions,
  Conv2DOptions,
  Conv2DTransposeOptions,
  DenseOptions,
  DropoutOptions,
  EmbeddingOptions,
  FlattenOptions,
  GlobalAveragePooling1DOptions,
  GlobalAveragePooling2DOptions,
  GRUOptions,
  InputLayerOptions,
  LayerNormalizationOptions,
  LayerOptions,
  LeakyReLUOptions,
  LSTMOptions,
  MaxPooling2DOptions,
  ReshapeOptions,
  Scattering2DOptions,
  SimpleRNNOptions,
} from './layer-options.js';
import type { Layer } from './layer-types.js';
import { FusedBatchNormalization } from './native/fused-batch-norm-layer.js';
import { NativeConv2DTranspose } from './native/conv2d-transpose-layer.js';
import { FusedConv2D } from './native/fused-conv2d-layer.js';
import { NativeDense } from './native/native-dense-layer.js';
import { FusedLSTM } from './native/fused-lstm-layer.js';
import { NativeDropout } from './native/native-dropout-layer.js';
import { ResetAfterGRU } from './native/reset-after-gru-layer.js';
import { withDlLayerClasses } from './native/dl-layer-classes.js';
import { OptionError } from './errors/option-error.js';
import { Scattering2D } from './scattering/scattering-2d-layer.js';

/*
 * Every factory takes its options interface from layer-options.ts and is declared to return dl's `Layer`
 * (layer-types.ts), so the emitted layers.d.ts names no tfjs-layers type. The layers are tfjs-layers' own (or the
 * fused/native subclasses in native/), whose extra members stay reachable by a cast.
 */

/**
 * Conv2D: 2-D convolution over `[height, width, channels]` inputs. Runs convolution, bias and ReLU as TensorFlow's one
 * fused kernel on the native backend when the options allow (native/fused-conv2d-layer.ts).
 */
export const conv2d = (options: Conv2DOptions): Layer => new FusedConv2D(kerasArgs('Conv2D', options));
/**
 * Conv2DTranspose: transposed ("de-") convolution, upsampling by `strides`. Runs on TensorFlow's kernels on the native
 * backend, an image-sized output on the faster of them (native/conv2d-transpose-layer.ts).
 */
export const conv2dTranspose = (options: Conv2DTransposeOptions): Layer => new NativeConv2DTranspose(kerasArgs('Conv2DTranspose', options));
/** MaxPooling2D: maximum over `poolSize` windows (default 2×2, strides = poolSize). */
export const maxPooling2d = (options: MaxPooling2DOptions = {}): Layer => tfl.layers.maxPooling2d(kerasArgs('MaxPooling2D', options));
/** AveragePooling2D: mean over `poolSize` windows (default 2×2, strides = poolSize). */
export const averagePooling2d = (options: AveragePooling2DOptions = {}): Layer =>
  tfl.layers.averagePooling2d(kerasArgs('AveragePooling2D', options));
/** GlobalAveragePooling1D: mean over the steps axis, `[steps, features]` → `[features]`. */
export const globalAveragePooling1d = (options: GlobalAveragePooling1DOptions = {}): Layer =>
  tfl.layers.globalAveragePooling1d(kerasArgs('GlobalAveragePooling1D', options));
/** GlobalAveragePooling2D: mean over height and width, `[h, w, channels]` → `[channels]`. */
export const globalAveragePooling2d = (options: GlobalAveragePooling2DOptions = {}): Layer =>
  tfl.layers.globalAveragePooling2d(kerasArgs('GlobalAveragePooling2D', options));
/** Flatten: every axis but the batch axis into one. */
export const flatten = (options: FlattenOptions = {}): Layer => tfl.layers.flatten(kerasArgs('Flatten', options));
/** Reshape: to `targetShape` (without the batch axis; one dimension may be -1). */
export const reshape = (options: ReshapeOptions): Layer => tfl.layers.reshape(kerasArgs('Reshape', options));
/**
 * Dense: fully connected, `activation(x·kernel + bias)` on the last axis; on the native backend, with TensorFlow's 2-D
 * kernels (native/native-dense-layer.ts).
 */
export const dense = (options: DenseOptions): Layer => new NativeDense(kerasArgs('Dense', options));
/**
 * Dropout: zeroes a `rate` fraction of the inputs while training, scaling the rest by 1/(1 − rate). Draws its mask
 * with TensorFlow's random kernel on the native backend (native/native-dropout-layer.ts).
 */
export const dropout = (options: DropoutOptions): Layer => new NativeDropout(kerasArgs('Dropout', options));
/**
 * BatchNormalization: normalizes with batch statistics while training, moving mean/variance (non-trainable) after.
 * Trains with TensorFlow's one fused kernel on the native backend (native/fused-batch-norm-layer.ts).
 */
export const batchNormalization = (options: BatchNormalizationOptions = {}): Layer =>
  new FusedBatchNormalization(kerasArgs('BatchNormalization', options));
/** LayerNormalization: normalizes each sample over its last axis. */
export const layerNormalization = (options: LayerNormalizationOptions = {}): Layer =>
  tfl.layers.layerNormalization(kerasArgs('LayerNormalization', options));
/** Embedding: integer ids in `[0, inputDim)` → learned vectors of size `outputDim`. */
export const embedding = (options: EmbeddingOptions): Layer => tfl.layers.embedding(kerasArgs('Embedding', options));
/**
 * LSTM: long short-term memory over `[steps, features]`; `returnSequences` for every step's output.
 * Runs TensorFlow's fused BlockLSTM kernels on the native backend when the options allow (native/fused-lstm-layer.ts).
 */
export const lstm = (options: LSTMOptions): Layer => new FusedLSTM(kerasArgs('LSTM', options));
/**
 * GRU: gated recurrent unit over `[steps, features]`. `resetAfter: true` is Keras 3's default variant (reset gate after
 * the recurrent matmul, two biases), which dl computes itself (native/reset-after-gru-layer.ts); tfjs has only the other.
 */
export const gru = (options: GRUOptions): Layer => new ResetAfterGRU(kerasArgs('GRU', options));
/** SimpleRNN: fully connected recurrent layer over `[steps, features]`. */
export const simpleRNN = (options: SimpleRNNOptions): Layer => tfl.layers.simpleRNN(kerasArgs('SimpleRNN', options));
/** Bidirectional: runs the recurrent `layer` forwards and backwards and merges them (`mergeMode`, default concat). */
// tfjs's Bidirectional rebuilds its two layers from the given layer's config, by class name: with dl's classes in the
// registry for that moment, an LSTM stays dl's fused one.
export const bidirectional = (options: BidirectionalOptions): Layer =>
  withDlLayerClasses(() => tfl.layers.bidirectional(kerasArgs('Bidirectional', options)));
/** LeakyReLU: `x` for x ≥ 0, `alpha·x` below (default alpha 0.3, as Keras). */
export const leakyReLU = (options: LeakyReLUOptions = {}): Layer => tfl.layers.leakyReLU(kerasArgs('LeakyReLU', options));
/** Activation: applies a named activation (`'relu'`, `'softmax'`, …) element-wise. */
export const activation = (options: ActivationOptions): Layer => tfl.layers.activation(kerasArgs('Activation', options));
/** Concatenate: joins a list of inputs along `axis` (default -1). */
export const concatenate = (options: ConcatenateOptions = {}): Layer => tfl.layers.concatenate(kerasArgs('Concatenate', options));
/** Add: element-wise sum of a list of inputs of the same shape. */
export const add = (options: AddOptions = {}): Layer => tfl.layers.add(kerasArgs('Add', options));
/** InputLayer: an explicit first layer for `sequential` (`inputShape` or `batchInputShape`); see also `input()`. */
export const inputLayer = (options: InputLayerOptions): Layer => tfl.layers.inputLayer(kerasArgs('InputLayer', options));

/** How many layers of each Keras name prefix were named so far, as Keras's per-session `uniquify`. */
const nameCounts = new Map<string, number>();

/** Keras's automatic name for the next layer of `className`: `dense`, then `dense_1`, `dense_2`, … */
function autoName(className: string): string {
  const prefix = snakeCase(className);
  const count = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, count + 1);
  return count === 0 ? prefix : `${prefix}_${count}`;
}

/** Keras's `to_snake_case`: `Conv2D` → `conv2d`, `MaxPooling2D` → `max_pooling2d`, `LeakyReLU` → `leaky_re_lu`. */
function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The options with Keras's default name when none is given, as the options of the tfjs factory or layer class they go
 * to (`A`, inferred from the call); rejects what tfjs cannot run. The one place dl's option types meet tfjs's: they have
 * tfjs's names and value types (test/layer-options.test.ts), except that objects (initializers, regularizers,
 * constraints, `bidirectional`'s layer) are typed by dl's facades, which the tfjs objects behind them satisfy.
 */
function kerasArgs<A>(className: string, options: LayerOptions | InputLayerOptions): A {
  const given = options as { name?: string; activityRegularizer?: unknown };
  if (given.activityRegularizer != null) {
    // tfjs-layers 4.22 accepts the option but throws "not supported yet" on every call of such a layer.
    throw new OptionError(
      `${snakeCase(className)}: activityRegularizer is not supported by TensorFlow.js (a layer with one cannot be called); ` +
        'use kernelRegularizer or biasRegularizer',
    );
  }
  return { ...kerasDefaults(className), ...options, name: given.name ?? autoName(className) } as A;
}

/** Keras's defaults where tfjs-layers chose differently (tfjs: glorotNormal kernels, hardSigmoid gates, no forget bias). */
function kerasDefaults(className: string): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  if (['Dense', 'Conv2D', 'Conv2DTranspose', 'LSTM', 'GRU', 'SimpleRNN'].includes(className)) defaults.kernelInitializer = 'glorotUniform';
  if (className === 'LSTM' || className === 'GRU') defaults.recurrentActivation = 'sigmoid';
  if (className === 'LSTM') defaults.unitForgetBias = true;
  return defaults;
}

/**
 * The 2-D scattering transform (J scales, L orientations, order 2; kymatio's Scattering2D): fixed, weight-free image
 * features for models trained with DP-SGD (see scattering/scattering-2d-layer.ts).
 */
export const scattering2d = (options: Scattering2DOptions = {}): Layer => new Scattering2D(options) as unknown as Layer;
