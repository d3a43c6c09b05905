/**
 * Layer factories under Keras names, with tfjs-layers' typed, camelCase options
 * (e.g. `conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] })`).
 *
 * Unnamed layers get Keras's names — the class name in snake_case, numbered from the second one on
 * (`conv2d`, `conv2d_1`, `max_pooling2d`, …) — rather than tfjs's `conv2d_Conv2D1`.
 * Defaults are Keras's where tfjs differs: glorotUniform kernels, sigmoid recurrent gates, LSTM forget-gate bias 1.
 * `kernelRegularizer` / `biasRegularizer` take `l1(…)`, `l2(…)`, `l1l2(…)` from regularizers.ts.
 */
import { tfl, type TfWithLayers } from './tfjs-layers-api.js';
import { FusedBatchNormalization } from './native/fused-batch-norm-layer.js';
import { FusedConv2D } from './native/fused-conv2d-layer.js';
import { FusedLSTM } from './native/fused-lstm-layer.js';
import { NativeDropout } from './native/native-dropout-layer.js';

type Args<K extends keyof TfWithLayers['layers']> = TfWithLayers['layers'][K] extends (args: infer A) => unknown ? A : never;
/**
 * The layer tfjs's factory of that name returns (`LayerOf<'dense'>`: tfjs's Dense), declared on every factory below:
 * tfjs exports no layer classes, so an inferred type would be emitted as an `import("@tensorflow/tfjs-layers/dist/…")`
 * path that consumers cannot resolve. The fused/native layers are declared as their tfjs class too (their extra fields
 * are internal), which also keeps native/'s declarations out of the public ones.
 */
type LayerOf<K extends keyof TfWithLayers['layers']> = TfWithLayers['layers'][K] extends (...args: never[]) => infer L ? L : never;

/**
 * Conv2D: 2-D convolution over `[height, width, channels]` inputs. Runs convolution, bias and ReLU as TensorFlow's one
 * fused kernel on the native backend when the options allow (native/fused-conv2d-layer.ts).
 */
export const conv2d = (args: Args<'conv2d'>): LayerOf<'conv2d'> => new FusedConv2D(kerasArgs('Conv2D', args));
/** Conv2DTranspose: transposed ("de-") convolution, upsampling by `strides`. */
export const conv2dTranspose = (args: Args<'conv2dTranspose'>): LayerOf<'conv2dTranspose'> =>
  tfl.layers.conv2dTranspose(kerasArgs('Conv2DTranspose', args));
/** MaxPooling2D: maximum over `poolSize` windows (default 2×2, strides = poolSize). */
export const maxPooling2d = (args: Args<'maxPooling2d'> = {}): LayerOf<'maxPooling2d'> => tfl.layers.maxPooling2d(kerasArgs('MaxPooling2D', args));
/** AveragePooling2D: mean over `poolSize` windows (default 2×2, strides = poolSize). */
export const averagePooling2d = (args: Args<'averagePooling2d'> = {}): LayerOf<'averagePooling2d'> =>
  tfl.layers.averagePooling2d(kerasArgs('AveragePooling2D', args));
/** GlobalAveragePooling1D: mean over the steps axis, `[steps, features]` → `[features]`. */
export const globalAveragePooling1d = (args: Args<'globalAveragePooling1d'> = {}): LayerOf<'globalAveragePooling1d'> =>
  tfl.layers.globalAveragePooling1d(kerasArgs('GlobalAveragePooling1D', args));
/** GlobalAveragePooling2D: mean over height and width, `[h, w, channels]` → `[channels]`. */
export const globalAveragePooling2d = (args: Args<'globalAveragePooling2d'> = {}): LayerOf<'globalAveragePooling2d'> =>
  tfl.layers.globalAveragePooling2d(kerasArgs('GlobalAveragePooling2D', args));
/** Flatten: every axis but the batch axis into one. */
export const flatten = (args: Args<'flatten'> = {}): LayerOf<'flatten'> => tfl.layers.flatten(kerasArgs('Flatten', args));
/** Reshape: to `targetShape` (without the batch axis; one dimension may be -1). */
export const reshape = (args: Args<'reshape'>): LayerOf<'reshape'> => tfl.layers.reshape(kerasArgs('Reshape', args));
/** Dense: fully connected, `activation(x·kernel + bias)` on the last axis. */
export const dense = (args: Args<'dense'>): LayerOf<'dense'> => tfl.layers.dense(kerasArgs('Dense', args));
/**
 * Dropout: zeroes a `rate` fraction of the inputs while training, scaling the rest by 1/(1 − rate). Draws its mask
 * with TensorFlow's random kernel on the native backend (native/native-dropout-layer.ts).
 */
export const dropout = (args: Args<'dropout'>): LayerOf<'dropout'> => new NativeDropout(kerasArgs('Dropout', args));
/**
 * BatchNormalization: normalizes with batch statistics while training, moving mean/variance (non-trainable) after.
 * Trains with TensorFlow's one fused kernel on the native backend (native/fused-batch-norm-layer.ts).
 */
export const batchNormalization = (args: Args<'batchNormalization'> = {}): LayerOf<'batchNormalization'> =>
  new FusedBatchNormalization(kerasArgs('BatchNormalization', args));
/** LayerNormalization: normalizes each sample over its last axis. */
export const layerNormalization = (args: Args<'layerNormalization'> = {}): LayerOf<'layerNormalization'> =>
  tfl.layers.layerNormalization(kerasArgs('LayerNormalization', args));
/** Embedding: integer ids in `[0, inputDim)` → learned vectors of size `outputDim`. */
export const embedding = (args: Args<'embedding'>): LayerOf<'embedding'> => tfl.layers.embedding(kerasArgs('Embedding', args));
/**
 * LSTM: long short-term memory over `[steps, features]`; `returnSequences` for every step's output.
 * Runs TensorFlow's fused BlockLSTM kernels on the native backend when the options allow (native/fused-lstm-layer.ts).
 */
export const lstm = (args: Args<'lstm'>): LayerOf<'lstm'> => new FusedLSTM(kerasArgs('LSTM', args));
/** GRU: gated recurrent unit over `[steps, features]` (tfjs supports only Keras's `reset_after=False` variant). */
export const gru = (args: Args<'gru'>): LayerOf<'gru'> => tfl.layers.gru(kerasArgs('GRU', args));
/** SimpleRNN: fully connected recurrent layer over `[steps, features]`. */
export const simpleRNN = (args: Args<'simpleRNN'>): LayerOf<'simpleRNN'> => tfl.layers.simpleRNN(kerasArgs('SimpleRNN', args));
/** Bidirectional: runs the recurrent `layer` forwards and backwards and merges them (`mergeMode`, default concat). */
export const bidirectional = (args: Args<'bidirectional'>): LayerOf<'bidirectional'> => tfl.layers.bidirectional(kerasArgs('Bidirectional', args));
/** LeakyReLU: `x` for x ≥ 0, `alpha·x` below (default alpha 0.3, as Keras). */
export const leakyReLU = (args: Args<'leakyReLU'> = {}): LayerOf<'leakyReLU'> => tfl.layers.leakyReLU(kerasArgs('LeakyReLU', args));
/** Activation: applies a named activation (`'relu'`, `'softmax'`, …) element-wise. */
export const activation = (args: Args<'activation'>): LayerOf<'activation'> => tfl.layers.activation(kerasArgs('Activation', args));
/** Concatenate: joins a list of inputs along `axis` (default -1). */
export const concatenate = (args: Args<'concatenate'> = {}): LayerOf<'concatenate'> => tfl.layers.concatenate(kerasArgs('Concatenate', args));
/** Add: element-wise sum of a list of inputs of the same shape. */
export const add = (args: Args<'add'> = {}): LayerOf<'add'> => tfl.layers.add(kerasArgs('Add', args));
/** InputLayer: an explicit first layer for `sequential` (`inputShape` or `batchInputShape`); see also `input()`. */
export const inputLayer = (args: Args<'inputLayer'>): LayerOf<'inputLayer'> => tfl.layers.inputLayer(kerasArgs('InputLayer', args));

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

/** The options with Keras's default name when none is given; rejects what tfjs cannot run. */
function kerasArgs<A extends object | undefined>(className: string, args: A): NonNullable<A> {
  const options = (args ?? {}) as NonNullable<A> & { name?: string; activityRegularizer?: unknown };
  if (options.activityRegularizer != null) {
    // tfjs-layers 4.22 accepts the option but throws "not supported yet" on every call of such a layer.
    throw new Error(
      `${snakeCase(className)}: activityRegularizer is not supported by TensorFlow.js (a layer with one cannot be called); ` +
        'use kernelRegularizer or biasRegularizer',
    );
  }
  return { ...kerasDefaults(className), ...options, name: options.name ?? autoName(className) };
}

/** Keras's defaults where tfjs-layers chose differently (tfjs: glorotNormal kernels, hardSigmoid gates, no forget bias). */
function kerasDefaults(className: string): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  if (['Dense', 'Conv2D', 'Conv2DTranspose', 'LSTM', 'GRU', 'SimpleRNN'].includes(className)) defaults.kernelInitializer = 'glorotUniform';
  if (className === 'LSTM' || className === 'GRU') defaults.recurrentActivation = 'sigmoid';
  if (className === 'LSTM') defaults.unitForgetBias = true;
  return defaults;
}
