import { tf } from './backend.js';
import type { Tensor } from '@tensorflow/tfjs-core';
import { ShapeError } from './errors/shape-error.js';

type TypedArray =
  | Float32Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Float64Array;

/**
 * A plain array with a shape — what @dl/data's loaders return, as keras.datasets returns numpy arrays.
 * Anything of this form can be passed to `fit`, `evaluate` and `predict` in place of a tensor.
 */
export interface ShapedArray {
  data: TypedArray | number[];
  shape: number[];
}

/** Model inputs and targets: a tensor or a plain shaped array. */
export type TensorLike = Tensor | ShapedArray;

export function isShapedArray(value: unknown): value is ShapedArray {
  return typeof value === 'object' && value !== null && 'data' in value && 'shape' in value && Array.isArray((value as ShapedArray).shape);
}

/** A tensor for `value`; the caller owns (and disposes) it only when `value` was not already a tensor. */
export function toTensor(value: TensorLike, dtype: 'float32' | 'int32' = 'float32'): Tensor {
  if (value instanceof tf.Tensor) return value;
  const count = value.shape.reduce((a, b) => a * b, 1);
  if (count !== value.data.length) {
    throw new ShapeError(`array of ${value.data.length} values does not match its shape [${value.shape.join(', ')}] (${count} values)`);
  }
  return tf.tensor(value.data as Float32Array, value.shape, dtype);
}
