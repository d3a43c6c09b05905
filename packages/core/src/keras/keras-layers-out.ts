/**
 * The writing direction of keras-layers.ts: a dl layer's TF.js config (Keras 2 style, as `net.toJSON` gives it) as
 * the Keras 3 layer config `keras.saving.load_model` deserializes with its own classes (no custom objects). dl's fused
 * subclasses (FusedConv2D, FusedLSTM, FusedBatchNormalization, NativeDropout) carry TF.js's class names, so they
 * map like TF.js's own. What Keras 3 would compute differently is refused, naming the layer and the option.
 */
import { activationProblem, KERAS_ACTIVATIONS } from './keras-activations.js';
import { type KerasConfig, RNN_KEYS } from './keras-layers.js';

/** A Keras 3 layer as config.json holds it (module, class, config). */
export interface KerasLayerJson {
  module: string;
  class_name: string;
  config: KerasConfig;
  registered_name: null;
}

function activation(config: KerasConfig, key = 'activation'): string {
  const value = config[key] ?? 'linear';
  if (typeof value !== 'string' || !KERAS_ACTIVATIONS.has(value)) throw activationProblem(key, value);
  return value;
}

/** Options Keras would read differently must hold their default (null, false, …). */
function requireDefault(config: KerasConfig, key: string, allowed: unknown[]): void {
  const value = config[key];
  if (value !== undefined && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
    throw `${key}=${JSON.stringify(value)} is not written to Keras (only ${allowed.map((a) => JSON.stringify(a)).join(' or ')})`;
  }
}

/** tfjs's L1L2 regularizer as Keras 3's (the same penalty: l1·Σ|w| + l2·Σw²). */
function regularizer(config: KerasConfig, key: string): unknown {
  const value = config[key] as { class_name?: string; config?: { l1?: number; l2?: number } } | null | undefined;
  if (value === undefined || value === null) return null;
  if (value.class_name !== 'L1L2') throw `${key} ${JSON.stringify(value.class_name)} is not written to Keras (only L1L2)`;
  return {
    module: 'keras.regularizers',
    class_name: 'L1L2',
    config: { l1: value.config?.l1 ?? 0, l2: value.config?.l2 ?? 0 },
    registered_name: null,
  };
}

function base(config: KerasConfig): KerasConfig {
  return { name: config.name, trainable: config.trainable ?? true, dtype: 'float32' };
}

function pick(config: KerasConfig, keys: string[]): KerasConfig {
  const out = base(config);
  for (const key of keys) if (config[key] !== undefined && config[key] !== null) out[key] = config[key];
  return out;
}

/** Regularizers kept, constraints refused (Keras would apply them after each update; dl does not write them). */
function weighted(config: KerasConfig, weights: string[]): KerasConfig {
  const out: KerasConfig = {};
  for (const w of weights) {
    requireDefault(config, `${w}_constraint`, [null]);
    out[`${w}_regularizer`] = regularizer(config, `${w}_regularizer`);
  }
  requireDefault(config, 'activity_regularizer', [null]);
  return out;
}

function conv(c: KerasConfig): KerasConfig {
  requireDefault(c, 'data_format', ['channels_last']);
  return {
    ...pick(c, ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'use_bias']),
    activation: activation(c),
    ...weighted(c, ['kernel', 'bias']),
  };
}

function rnn(c: KerasConfig, keys: string[] = []): KerasConfig {
  return {
    ...pick(c, [...RNN_KEYS, ...keys]),
    activation: activation(c),
    recurrent_activation: activation(c, 'recurrent_activation'),
    ...weighted(c, ['kernel', 'recurrent', 'bias']),
  };
}

type ToKeras = (config: KerasConfig) => KerasConfig;

/** TF.js class name → its Keras 3 config. (All are `keras.layers` classes of the same name.) */
const TO_KERAS: Record<string, ToKeras> = {
  Dense: (c) => ({ ...pick(c, ['units', 'use_bias']), activation: activation(c), ...weighted(c, ['kernel', 'bias']) }),
  Conv2D: conv,
  Conv2DTranspose: (c) => {
    requireDefault(c, 'output_padding', [null]);
    return conv(c);
  },
  MaxPooling2D: (c) => pick(c, ['pool_size', 'strides', 'padding', 'data_format']),
  AveragePooling2D: (c) => pick(c, ['pool_size', 'strides', 'padding', 'data_format']),
  GlobalAveragePooling2D: (c) => pick(c, ['data_format']),
  GlobalMaxPooling2D: (c) => pick(c, ['data_format']),
  GlobalAveragePooling1D: (c) => pick(c, ['data_format']),
  GlobalMaxPooling1D: (c) => pick(c, ['data_format']),
  Flatten: (c) => pick(c, ['data_format']),
  Dropout: (c) => {
    requireDefault(c, 'noise_shape', [null]);
    return pick(c, ['rate', 'seed']);
  },
  Activation: (c) => ({ ...base(c), activation: activation(c) }),
  // TF.js keeps Keras 2's `alpha`; Keras 3 calls it `negative_slope`.
  LeakyReLU: (c) => ({ ...base(c), negative_slope: c.alpha ?? 0.3 }),
  Reshape: (c) => pick(c, ['target_shape']),
  Rescaling: (c) => pick(c, ['scale', 'offset']),
  BatchNormalization: (c) => ({ ...pick(c, ['axis', 'momentum', 'epsilon', 'center', 'scale']), ...weighted(c, ['beta', 'gamma']) }),
  LayerNormalization: (c) => ({ ...pick(c, ['axis', 'epsilon', 'center', 'scale']), ...weighted(c, ['beta', 'gamma']) }),
  // Keras 3 has no input_length: the input layer carries the sequence length.
  Embedding: (c) => ({ ...pick(c, ['input_dim', 'output_dim']), mask_zero: c.mask_zero === true, ...weighted(c, ['embeddings']) }),
  LSTM: (c) => rnn(c, ['unit_forget_bias']),
  // TF.js's GRU applies the reset gate before the recurrent kernel (Keras's reset_after=False); dl's GRU with
  // resetAfter (native/reset-after-gru-layer.ts) computes and stores Keras's reset_after=True, [2, 3·units] bias included.
  GRU: (c) => ({ ...rnn(c), reset_after: c.reset_after === true }),
  SimpleRNN: (c) => ({ ...pick(c, RNN_KEYS), activation: activation(c), ...weighted(c, ['kernel', 'recurrent', 'bias']) }),
  Bidirectional: (c) => {
    const inner = c.layer as { class_name?: string; config?: KerasConfig } | undefined;
    const className = String(inner?.class_name);
    if (!['LSTM', 'GRU', 'SimpleRNN'].includes(className)) throw `it wraps ${className}; dl writes Bidirectional LSTM, GRU or SimpleRNN`;
    // Keras makes the backward layer from the forward one (go_backwards flipped), as TF.js does.
    return { ...pick(c, ['merge_mode']), layer: kerasLayerJson(className, inner!.config!) };
  },
  Concatenate: (c) => pick(c, ['axis']),
  Add: base,
  Multiply: base,
  Average: base,
  Maximum: base,
  Minimum: base,
};

/** The TF.js class names dl writes to Keras, for error messages and the README. */
export function writableLayers(): string[] {
  return ['InputLayer', ...Object.keys(TO_KERAS)].sort();
}

/**
 * A layer's Keras 3 JSON from its TF.js class name and config.
 *
 * @throws a string (the problem) when the layer or one of its options has no Keras 3 equivalent; the caller adds the file.
 */
export function kerasLayerJson(className: string, config: KerasConfig): KerasLayerJson {
  const toKeras = TO_KERAS[className];
  if (!toKeras) throw `dl does not write ${className} layers to Keras; it writes: ${writableLayers().join(', ')}`;
  return { module: 'keras.layers', class_name: className, config: toKeras(config), registered_name: null };
}

/** An input layer (Keras 3's `batch_shape`); int inputs (token ids) stay int32. */
export function kerasInputLayerJson(name: string, batchShape: (number | null)[], dtype: string): KerasLayerJson {
  return {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: batchShape, dtype, sparse: false, ragged: false, name },
    registered_name: null,
  };
}
