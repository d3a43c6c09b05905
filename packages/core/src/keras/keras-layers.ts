/**
 * How each Keras 3 layer dl supports becomes a TF.js layer config (the Keras 2 format TF.js deserializes), and where
 * its weights sit in the `.keras` file's model.weights.h5. Options dl cannot honour are refused rather than dropped,
 * so an imported model computes what Keras computes.
 */
import { activationProblem, KERAS_ACTIVATIONS } from './keras-activations.js';

/** A layer's config as Keras 3 writes it in config.json. */
export type KerasConfig = Record<string, unknown>;

export interface LayerMapping {
  /** The TF.js class name. */
  className: string;
  /** The TF.js (Keras 2 style) config from Keras 3's; throws a message (string) for an option dl does not support. */
  config(keras: KerasConfig): KerasConfig;
  /** Groups under the layer's group in model.weights.h5 holding its variables, in TF.js's weight order. */
  weightGroups: string[];
}

function activation(config: KerasConfig, key = 'activation'): string {
  const value = config[key] ?? 'linear';
  if (typeof value !== 'string' || !KERAS_ACTIVATIONS.has(value)) throw activationProblem(key, value);
  return value;
}

function require(config: KerasConfig, key: string, allowed: unknown[]): void {
  const value = config[key];
  if (value !== undefined && value !== null && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
    throw `${key}=${JSON.stringify(value)} is not supported (only ${allowed.map((a) => JSON.stringify(a)).join(' or ')})`;
  }
}

/** The keys every layer keeps. */
function base(config: KerasConfig): KerasConfig {
  return { name: config.name, trainable: config.trainable ?? true };
}

function pick(config: KerasConfig, keys: string[]): KerasConfig {
  const out = base(config);
  for (const key of keys) if (config[key] !== undefined) out[key] = config[key];
  return out;
}

function conv(config: KerasConfig): KerasConfig {
  require(config, 'groups', [1]);
  require(config, 'data_format', ['channels_last']);
  return {
    ...pick(config, ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'use_bias']),
    activation: activation(config),
  };
}

function pooling(config: KerasConfig): KerasConfig {
  require(config, 'data_format', ['channels_last']);
  return pick(config, ['pool_size', 'strides', 'padding', 'data_format']);
}

function globalPooling(config: KerasConfig): KerasConfig {
  require(config, 'data_format', ['channels_last']);
  require(config, 'keepdims', [false]);
  return pick(config, ['data_format']);
}

/** The recurrent layers' options Keras 3 and TF.js name and mean alike (read and written as they are). */
export const RNN_KEYS = [
  'units',
  'use_bias',
  'return_sequences',
  'return_state',
  'go_backwards',
  'stateful',
  'unroll',
  'dropout',
  'recurrent_dropout',
];

function rnn(config: KerasConfig, keys: string[] = []): KerasConfig {
  return { ...pick(config, [...RNN_KEYS, ...keys]), activation: activation(config) };
}

const noWeights = { weightGroups: [] };
const vars = { weightGroups: ['vars'] };
const cellVars = { weightGroups: ['cell/vars'] };

/** Keras 3 class name → its mapping. */
export const LAYER_MAPPINGS: Record<string, LayerMapping> = {
  Dense: {
    className: 'Dense',
    config: (c) => {
      require(c, 'lora_rank', [null]);
      require(c, 'quantization_config', [null]);
      return { ...pick(c, ['units', 'use_bias']), activation: activation(c) };
    },
    ...vars,
  },
  Conv2D: { className: 'Conv2D', config: conv, ...vars },
  Conv2DTranspose: {
    className: 'Conv2DTranspose',
    config: (c) => {
      require(c, 'output_padding', [null]);
      require(c, 'dilation_rate', [[1, 1], 1]);
      return conv(c);
    },
    ...vars,
  },
  MaxPooling2D: { className: 'MaxPooling2D', config: pooling, ...noWeights },
  AveragePooling2D: { className: 'AveragePooling2D', config: pooling, ...noWeights },
  GlobalAveragePooling2D: { className: 'GlobalAveragePooling2D', config: globalPooling, ...noWeights },
  GlobalMaxPooling2D: { className: 'GlobalMaxPooling2D', config: globalPooling, ...noWeights },
  GlobalAveragePooling1D: { className: 'GlobalAveragePooling1D', config: globalPooling, ...noWeights },
  GlobalMaxPooling1D: { className: 'GlobalMaxPooling1D', config: globalPooling, ...noWeights },
  Flatten: {
    className: 'Flatten',
    config: (c) => {
      require(c, 'data_format', ['channels_last']);
      return pick(c, ['data_format']);
    },
    ...noWeights,
  },
  Dropout: {
    className: 'Dropout',
    config: (c) => {
      require(c, 'noise_shape', [null]);
      return pick(c, ['rate']);
    },
    ...noWeights,
  },
  Activation: { className: 'Activation', config: (c) => ({ ...base(c), activation: activation(c) }), ...noWeights },
  LeakyReLU: {
    className: 'LeakyReLU',
    // Keras 3 renamed Keras 2's `alpha` (which TF.js reads) to `negative_slope`.
    config: (c) => ({ ...base(c), alpha: c.negative_slope ?? c.alpha ?? 0.3 }),
    ...noWeights,
  },
  Reshape: { className: 'Reshape', config: (c) => pick(c, ['target_shape']), ...noWeights },
  Rescaling: { className: 'Rescaling', config: (c) => pick(c, ['scale', 'offset']), ...noWeights },
  BatchNormalization: {
    className: 'BatchNormalization',
    config: (c) => {
      require(c, 'renorm', [false]);
      require(c, 'synchronized', [false]);
      // Keras 2 writes the axis as a list once built (`[3]`); TF.js's BatchNormalization takes one axis.
      const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : c.axis;
      if (Array.isArray(axis)) throw `axis=${JSON.stringify(axis)} is not supported (one axis only)`;
      return { ...pick(c, ['momentum', 'epsilon', 'center', 'scale']), axis: axis ?? -1 };
    },
    ...vars,
  },
  LayerNormalization: {
    className: 'LayerNormalization',
    config: (c) => {
      require(c, 'rms_scaling', [false]);
      return pick(c, ['axis', 'epsilon', 'center', 'scale']);
    },
    ...vars,
  },
  Embedding: {
    className: 'Embedding',
    config: (c) => {
      require(c, 'quantization_config', [null]);
      require(c, 'lora_rank', [null]);
      return pick(c, ['input_dim', 'output_dim', 'mask_zero']);
    },
    ...vars,
  },
  LSTM: {
    className: 'LSTM',
    config: (c) => ({ ...rnn(c, ['unit_forget_bias']), recurrent_activation: activation(c, 'recurrent_activation') }),
    ...cellVars,
  },
  GRU: {
    className: 'GRU',
    // reset_after=True (Keras 3's default) is dl's GRU (native/reset-after-gru-layer.ts), with Keras's [2, 3·units] bias.
    config: (c) => ({
      ...rnn(c),
      recurrent_activation: activation(c, 'recurrent_activation'),
      reset_after: c.reset_after !== false,
    }),
    ...cellVars,
  },
  SimpleRNN: { className: 'SimpleRNN', config: (c) => rnn(c), ...cellVars },
  Bidirectional: {
    className: 'Bidirectional',
    config: (c) => {
      const inner = c.layer as { class_name?: string; config?: KerasConfig } | undefined;
      const className = String(inner?.class_name);
      if (!['LSTM', 'GRU', 'SimpleRNN'].includes(className)) throw `it wraps ${className}; dl imports Bidirectional LSTM, GRU or SimpleRNN`;
      // TF.js makes the backward layer from the forward one (go_backwards flipped), as Keras does by default.
      const backward = (c.backward_layer as { config?: KerasConfig } | undefined)?.config;
      if (backward && backward.go_backwards !== true) throw 'its backward_layer does not go backwards';
      return {
        ...pick(c, ['merge_mode']),
        layer: { class_name: className, config: LAYER_MAPPINGS[className]!.config(inner!.config!) },
      };
    },
    weightGroups: ['forward_layer/cell/vars', 'backward_layer/cell/vars'],
  },
  Concatenate: { className: 'Concatenate', config: (c) => pick(c, ['axis']), ...noWeights },
  Add: { className: 'Add', config: base, ...noWeights },
  Multiply: { className: 'Multiply', config: base, ...noWeights },
  Average: { className: 'Average', config: base, ...noWeights },
  Maximum: { className: 'Maximum', config: base, ...noWeights },
  Minimum: { className: 'Minimum', config: base, ...noWeights },
};

/** The Keras class names dl imports (InputLayer included), for error messages and the README. */
export function supportedLayers(): string[] {
  return ['InputLayer', ...Object.keys(LAYER_MAPPINGS)].sort();
}
