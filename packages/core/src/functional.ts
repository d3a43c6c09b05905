/**
 * Keras's functional API: `input()` makes a symbolic tensor, layers are applied to symbolic tensors
 * (`layers.dense({ units: 4 }).apply(x)`), and `model({ inputs, outputs })` turns the graph between them into a `Model`.
 *
 *     const image = input({ shape: [28, 28, 1] });
 *     const meta = input({ shape: [3] });
 *     const features = layers.flatten().apply(image) as SymbolicTensor;
 *     const joined = layers.concatenate().apply([features, meta]) as SymbolicTensor;
 *     const net = model({ inputs: [image, meta], outputs: layers.dense({ units: 10, activation: 'softmax' }).apply(joined) as SymbolicTensor });
 */
import type { SymbolicTensor as TfjsSymbolicTensor } from '@tensorflow/tfjs';
import type { DataType } from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from './layer-types.js';
import { inputLayer } from './layers.js';
import { Model } from './model.js';
import { tfl } from './tfjs-layers-api.js';
import { OptionError } from './errors/option-error.js';

export type { SymbolicTensor };

export interface InputOptions {
  /** Shape of one sample, without the batch axis; `null` for a dimension of any size (e.g. sequence length). */
  shape: Array<number | null>;
  /** Fixed batch size, when the model needs one. Default: any. */
  batchSize?: number;
  /** Layer name. Default Keras's `input_layer`, `input_layer_1`, … */
  name?: string;
  /** Default `float32`; `int32` for ids fed to `embedding`. */
  dtype?: DataType;
}

/** A symbolic input of the given sample shape, as `keras.Input(shape)`. */
export function input(options: InputOptions): SymbolicTensor {
  const { shape, batchSize, name, dtype } = options;
  if (!Array.isArray(shape))
    throw new OptionError(`input: shape must be an array of dimensions (without the batch axis), got ${String(shape)}`);
  const layer = inputLayer({ batchInputShape: [batchSize ?? null, ...shape], ...(name ? { name } : {}), ...(dtype ? { dtype } : {}) });
  // As tf.input: the input layer's one output is the symbolic tensor that feeds the model.
  return (layer as unknown as { inboundNodes: Array<{ outputTensors: SymbolicTensor[] }> }).inboundNodes[0]!.outputTensors[0]!;
}

export interface FunctionalModelOptions {
  /** The model's input(s), from `input()`. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's output(s): symbolic tensors computed from the inputs by applying layers. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Default Keras's `functional`, `functional_1`, … */
  name?: string;
}

let unnamedModels = 0;

/** A model from the layer graph between `inputs` and `outputs`, as `keras.Model(inputs, outputs)`; several of each are allowed. */
export function model(options: FunctionalModelOptions): Model {
  const { inputs, outputs } = options;
  const name = options.name ?? (unnamedModels++ === 0 ? 'functional' : `functional_${unnamedModels - 1}`);
  const symbolic = (t: SymbolicTensor | SymbolicTensor[]) => t as TfjsSymbolicTensor | TfjsSymbolicTensor[];
  return new Model(tfl.model({ inputs: symbolic(inputs), outputs: symbolic(outputs), name }));
}
