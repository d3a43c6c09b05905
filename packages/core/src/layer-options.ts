/**
 * The options of the layer factories in layers.ts, one interface per factory (`DenseOptions` for `layers.dense`, …).
 * They carry tfjs-layers 4.22's option names and value types (its `*LayerArgs`: camelCase Keras names), declared here
 * instead of imported because tfjs-layers' own declarations do not compile under `strict` (layer-types.ts);
 * test/layer-options.test.ts checks each against tfjs's. Defaults are Keras's; where dl's differ from tfjs-layers'
 * (kernel initializer, recurrent gates, LSTM forget-gate bias) the option says so.
 */
import type { DataType, Tensor } from '@tensorflow/tfjs-core';
import type { Constraint, Initializer, Layer, Regularizer, Shape } from './layer-types.js';

/** An activation function by name (tfjs's `ActivationIdentifier`). */
export type ActivationName =
  | 'elu'
  | 'hardSigmoid'
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'selu'
  | 'sigmoid'
  | 'softmax'
  | 'softplus'
  | 'softsign'
  | 'tanh'
  | 'swish'
  | 'mish'
  | 'gelu'
  | 'gelu_new';

/** A weight initializer by name, with its default settings (tfjs's `InitializerIdentifier`). */
export type InitializerName =
  | 'constant'
  | 'glorotNormal'
  | 'glorotUniform'
  | 'heNormal'
  | 'heUniform'
  | 'identity'
  | 'leCunNormal'
  | 'leCunUniform'
  | 'ones'
  | 'orthogonal'
  | 'randomNormal'
  | 'randomUniform'
  | 'truncatedNormal'
  | 'varianceScaling'
  | 'zeros';

/** A weight regularizer by name (tfjs's `RegularizerIdentifier`): `'l1l2'` is l1 = l2 = 0.01; see `regularizers` for others. */
export type RegularizerName = 'l1l2';

/** A weight constraint by name, with its default settings (tfjs's `ConstraintIdentifier`). */
export type ConstraintName = 'maxNorm' | 'minMaxNorm' | 'nonNeg' | 'unitNorm';

/** How a convolution or pooling window treats the borders: none (`'valid'`), zero-padded to keep the size (`'same'`), or `'causal'`. */
export type PaddingMode = 'valid' | 'same' | 'causal';

/** Where the channels axis is: last (`[batch, h, w, channels]`, the default) or first. */
export type DataFormat = 'channelsFirst' | 'channelsLast';

/** How `bidirectional` joins the forward and backward outputs. */
export type BidirectionalMergeMode = 'sum' | 'mul' | 'concat' | 'ave';

/** An initializer option: a name or an initializer object (`tf.initializers.*`). */
export type InitializerOption = InitializerName | Initializer;
/** A regularizer option: `l1(…)`, `l2(…)`, `l1l2(…)` from `regularizers`, or `'l1l2'`. */
export type RegularizerOption = RegularizerName | Regularizer;
/** A constraint option: a name or a constraint object (`tf.constraints.*`). */
export type ConstraintOption = ConstraintName | Constraint;

/** The options every layer takes (tfjs's `LayerArgs`). */
export interface LayerOptions {
  /** The input's shape without the batch axis; makes this the model's first layer (only there). */
  inputShape?: Shape;
  /** The input's shape with the batch axis (`null` for any batch size); wins over `inputShape`. */
  batchInputShape?: Shape;
  /** With `inputShape`, a fixed batch size: `batchInputShape` = `[batchSize, ...inputShape]`. */
  batchSize?: number;
  /** The input's dtype when this is the first layer. Default `'float32'`. */
  dtype?: DataType;
  /** The layer's name. Default Keras's: the class name in snake_case, numbered from the second (`dense`, `dense_1`, …). */
  name?: string;
  /** Whether `fit` updates its weights. Default true. */
  trainable?: boolean;
  /** Initial weight values, in the order of `layer.getWeights()`. */
  weights?: Tensor[];
  /** Legacy alias of `dtype`. */
  inputDType?: DataType;
}

/** The options of the convolution layers (tfjs's `ConvLayerArgs`). */
export interface ConvOptions extends LayerOptions {
  /** How many filters (output channels). */
  filters: number;
  /** The window's size: one number for every spatial axis, or one per axis. */
  kernelSize: number | number[];
  /** The step between windows, as `kernelSize`. Default 1. */
  strides?: number | number[];
  /** Default `'valid'`. */
  padding?: PaddingMode;
  /** Default `'channelsLast'`. */
  dataFormat?: DataFormat;
  /** Dilation of the window, as `kernelSize`. Default 1. */
  dilationRate?: number | [number] | [number, number] | [number, number, number];
  /** Applied to the output. Default none (linear). */
  activation?: ActivationName;
  /** Whether to add a bias. Default true. */
  useBias?: boolean;
  /** Default `'glorotUniform'`, as Keras (tfjs: glorotNormal). */
  kernelInitializer?: InitializerOption;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerOption;
  kernelConstraint?: ConstraintOption;
  biasConstraint?: ConstraintOption;
  /** A penalty on the kernel added to the training loss, e.g. `l2(1e-4)`. */
  kernelRegularizer?: RegularizerOption;
  /** A penalty on the bias added to the training loss. */
  biasRegularizer?: RegularizerOption;
  /** Not supported: tfjs-layers cannot call a layer with one, so the factory throws. */
  activityRegularizer?: RegularizerOption;
}

/** Options of `conv2d`: 2-D convolution. */
export interface Conv2DOptions extends ConvOptions {}

/** Options of `conv2dTranspose`: transposed 2-D convolution. */
export interface Conv2DTransposeOptions extends ConvOptions {}

/** The options of the 2-D pooling layers (tfjs's `Pooling2DLayerArgs`). */
export interface Pooling2DOptions extends LayerOptions {
  /** The window's size, one number for both axes or `[height, width]`. Default 2. */
  poolSize?: number | [number, number];
  /** The step between windows, as `poolSize`. Default `poolSize`. */
  strides?: number | [number, number];
  /** Default `'valid'`. */
  padding?: PaddingMode;
  /** Default `'channelsLast'`. */
  dataFormat?: DataFormat;
}

/** Options of `maxPooling2d`. */
export interface MaxPooling2DOptions extends Pooling2DOptions {}

/** Options of `averagePooling2d`. */
export interface AveragePooling2DOptions extends Pooling2DOptions {}

/** Options of `globalAveragePooling1d`. */
export interface GlobalAveragePooling1DOptions extends LayerOptions {}

/** Options of `globalAveragePooling2d`. */
export interface GlobalAveragePooling2DOptions extends LayerOptions {
  /** Default `'channelsLast'`. */
  dataFormat?: DataFormat;
}

/** Options of `flatten`. */
export interface FlattenOptions extends LayerOptions {
  /** With `'channelsFirst'` the input is transposed to channels-last first, as Keras. Default `'channelsLast'`. */
  dataFormat?: DataFormat;
}

/** Options of `reshape`. */
export interface ReshapeOptions extends LayerOptions {
  /** The output's shape without the batch axis; one dimension may be -1 (inferred). */
  targetShape: Shape;
}

/** Options of `dense`. */
export interface DenseOptions extends LayerOptions {
  /** The output's size. */
  units: number;
  /** Applied to the output. Default none (linear). */
  activation?: ActivationName;
  /** Whether to add a bias. Default true. */
  useBias?: boolean;
  /** Default `'glorotUniform'`, as Keras (tfjs: glorotNormal). */
  kernelInitializer?: InitializerOption;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerOption;
  /** Shorthand for `inputShape: [inputDim]`. */
  inputDim?: number;
  kernelConstraint?: ConstraintOption;
  biasConstraint?: ConstraintOption;
  /** A penalty on the kernel added to the training loss, e.g. `l2(1e-4)`. */
  kernelRegularizer?: RegularizerOption;
  /** A penalty on the bias added to the training loss. */
  biasRegularizer?: RegularizerOption;
  /** Not supported: tfjs-layers cannot call a layer with one, so the factory throws. */
  activityRegularizer?: RegularizerOption;
}

/** Options of `dropout`. */
export interface DropoutOptions extends LayerOptions {
  /** The fraction of inputs zeroed while training, in [0, 1). */
  rate: number;
  /** The mask's shape, to share it along axes of size 1 (e.g. `[batch, 1, features]`). Default the input's shape. */
  noiseShape?: number[];
  /** Random seed of the mask. */
  seed?: number;
}

/** Options of `batchNormalization`. */
export interface BatchNormalizationOptions extends LayerOptions {
  /** The features axis (normalized per entry along it). Default -1. */
  axis?: number;
  /** Momentum of the moving mean and variance. Default 0.99. */
  momentum?: number;
  /** Added to the variance. Default 1e-3. */
  epsilon?: number;
  /** Whether to add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Whether to multiply by the learned scale `gamma`. Default true. */
  scale?: boolean;
  /** Default `'zeros'`. */
  betaInitializer?: InitializerOption;
  /** Default `'ones'`. */
  gammaInitializer?: InitializerOption;
  /** Default `'zeros'`. */
  movingMeanInitializer?: InitializerOption;
  /** Default `'ones'`. */
  movingVarianceInitializer?: InitializerOption;
  betaConstraint?: ConstraintOption;
  gammaConstraint?: ConstraintOption;
  betaRegularizer?: RegularizerOption;
  gammaRegularizer?: RegularizerOption;
}

/** Options of `layerNormalization`. */
export interface LayerNormalizationOptions extends LayerOptions {
  /** The axis or axes normalized over. Default -1. */
  axis?: number | number[];
  /** Added to the variance. Default 1e-3. */
  epsilon?: number;
  /** Whether to add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Whether to multiply by the learned scale `gamma`. Default true. */
  scale?: boolean;
  /** Default `'zeros'`. */
  betaInitializer?: InitializerOption;
  /** Default `'ones'`. */
  gammaInitializer?: InitializerOption;
  betaRegularizer?: RegularizerOption;
  gammaRegularizer?: RegularizerOption;
}

/** Options of `embedding`. */
export interface EmbeddingOptions extends LayerOptions {
  /** The vocabulary's size: ids are in `[0, inputDim)`. */
  inputDim: number;
  /** The vectors' size. */
  outputDim: number;
  /** Default `'randomUniform'` (±0.05). */
  embeddingsInitializer?: InitializerOption;
  embeddingsRegularizer?: RegularizerOption;
  /** Not supported: tfjs-layers cannot call a layer with one, so the factory throws. */
  activityRegularizer?: RegularizerOption;
  embeddingsConstraint?: ConstraintOption;
  /** Whether id 0 is padding, masked out for the layers after (then `inputDim` counts it). Default false. */
  maskZero?: boolean;
  /** The sequences' length, when fixed (needed before `flatten`). */
  inputLength?: number | number[];
}

/** The options of the recurrent layers (tfjs's `SimpleRNNLayerArgs` and `BaseRNNLayerArgs`, less the internal `cell`). */
export interface RecurrentOptions extends LayerOptions {
  /** The output's (and state's) size. */
  units: number;
  /** Applied to the output and state. Default `'tanh'`. */
  activation?: ActivationName;
  /** Whether to add a bias. Default true. */
  useBias?: boolean;
  /** Default `'glorotUniform'`, as Keras (tfjs: glorotNormal). */
  kernelInitializer?: InitializerOption;
  /** Default `'orthogonal'`. */
  recurrentInitializer?: InitializerOption;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerOption;
  kernelRegularizer?: RegularizerOption;
  recurrentRegularizer?: RegularizerOption;
  biasRegularizer?: RegularizerOption;
  kernelConstraint?: ConstraintOption;
  recurrentConstraint?: ConstraintOption;
  biasConstraint?: ConstraintOption;
  /** Dropout rate of the inputs, while training. Default 0. */
  dropout?: number;
  /** Dropout rate of the recurrent state, while training. Default 0. */
  recurrentDropout?: number;
  /** Whether to output every step (`[batch, steps, units]`) rather than the last (`[batch, units]`). Default false. */
  returnSequences?: boolean;
  /** Whether to output the final state(s) too. Default false. */
  returnState?: boolean;
  /** Whether to run over the sequence backwards. Default false. */
  goBackwards?: boolean;
  /** Whether each batch's final state is the next batch's initial state. Default false. */
  stateful?: boolean;
  /** Whether to unroll the loop over the steps. Default false. */
  unroll?: boolean;
  /** Shorthand for the features dimension of `inputShape`. */
  inputDim?: number;
  /** The sequences' length, when fixed. */
  inputLength?: number;
}

/** Options of `simpleRNN`. */
export interface SimpleRNNOptions extends RecurrentOptions {}

/** Options of `gru`. */
export interface GRUOptions extends RecurrentOptions {
  /** Applied to the update and reset gates. Default `'sigmoid'`, as Keras (tfjs: hardSigmoid). */
  recurrentActivation?: ActivationName;
  /** Keras's computation mode (1 or 2); the results are the same. */
  implementation?: number;
  /**
   * Keras's `reset_after`: the reset gate multiplies the recurrent projection after the matmul, with a separate
   * recurrent bias (bias shape `[2, 3·units]`) — Keras 3's default and cuDNN's variant. Default false, tfjs's GRU (reset
   * before the matmul), which plain TensorFlow.js can load; a model saved with `true` loads in dl and Keras only.
   */
  resetAfter?: boolean;
}

/** Options of `lstm`. */
export interface LSTMOptions extends RecurrentOptions {
  /** Applied to the input, forget and output gates. Default `'sigmoid'`, as Keras (tfjs: hardSigmoid). */
  recurrentActivation?: ActivationName;
  /** Whether the forget gate's bias starts at 1. Default true, as Keras (tfjs: false). */
  unitForgetBias?: boolean;
  /** Keras's computation mode (1 or 2); the results are the same. */
  implementation?: number;
}

/** Options of `bidirectional`. */
export interface BidirectionalOptions extends LayerOptions {
  /** The recurrent layer (`lstm`, `gru`, `simpleRNN`) run forwards, and as a copy backwards. */
  layer: Layer;
  /** How the two directions' outputs are joined. Default `'concat'`. */
  mergeMode?: BidirectionalMergeMode;
}

/** Options of `leakyReLU`. */
export interface LeakyReLUOptions extends LayerOptions {
  /** The slope below 0. Default 0.3. */
  alpha?: number;
}

/** Options of `activation`. */
export interface ActivationOptions extends LayerOptions {
  /** The activation to apply. */
  activation: ActivationName;
}

/** Options of `concatenate`. */
export interface ConcatenateOptions extends LayerOptions {
  /** The axis joined along. Default -1. */
  axis?: number;
}

/** Options of `add`. */
export interface AddOptions extends LayerOptions {}

/** Options of `inputLayer` (tfjs's `InputLayerArgs`): `inputShape` or `batchInputShape` is required in practice. */
export interface InputLayerOptions extends Pick<LayerOptions, 'inputShape' | 'batchInputShape' | 'batchSize' | 'dtype' | 'name'> {
  /** Whether the input is sparse (not supported by tfjs). Default false. */
  sparse?: boolean;
}

/** `layers.scattering2d`: the 2-D scattering transform (scattering/scattering-2d-layer.ts). */
export interface Scattering2DOptions {
  /** Scales: features are averaged over 2^J pixels, and the output is 2^J times smaller. Default 2. */
  J?: number;
  /** Orientations of the wavelets. Default 8. */
  L?: number;
  /** Standardise each example's output over this many groups of consecutive channels (must divide C·K); 0: none. */
  groupNorm?: number;
  inputShape?: number[];
  name?: string;
}
