/**
 * Direct calls to TensorFlow kernels through tfjs-node's backend, for ops tfjs does not expose or composes from many
 * small ones (BlockLSTM, ReluGrad, SparseSoftmaxCrossEntropyWithLogits, oneDNN's max-pool gradient). The outputs are
 * ordinary tfjs tensors, tracked by tidy like any other.
 *
 * Only the native ('tensorflow') backend has them: `nativeBackend()` is null on any other.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';

/** The parts of tfjs-node's NodeJSKernelBackend used here (it has no public typings for them). */
export interface NativeBackend {
  binding: {
    executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): unknown[];
    createTensor(shape: number[], dtype: number, values: Int32Array | Uint8Array | Float32Array): number;
    deleteTensor(id: number): void;
    TF_INT32: number;
    TF_INT64: number;
    TF_FLOAT: number;
    TF_UINT8: number;
    TF_RESOURCE: number;
    TF_ATTR_STRING: number;
    TF_ATTR_INT: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_TYPE: number;
    TF_ATTR_SHAPE: number;
  };
  getInputTensorIds(tensors: Tensor[]): number[];
  /** TensorFlow's dtype number for a tfjs dtype (throws for dtypes TensorFlow's binding does not take). */
  getDTypeInteger(dtype: string): number;
  createOutputTensor(metadata: unknown): Tensor;
}

export interface OpAttr {
  name: string;
  type: number;
  value: number | boolean | string | number[] | string[];
}

/** The native backend when it is the active one, else null. */
export function nativeBackend(): NativeBackend | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof backend.binding?.executeOp === 'function' && typeof backend.createOutputTensor === 'function'
    ? (backend as NativeBackend)
    : null;
}

/**
 * Runs the TensorFlow op `name` on `inputs` (tfjs tensors, or raw native tensor ids for inputs tfjs cannot hold, such
 * as int64 or uint8 ones) and returns its `numOutputs` outputs as tfjs tensors.
 */
export function runNativeOp(
  backend: NativeBackend,
  name: string,
  attrs: OpAttr[],
  inputs: Array<Tensor | number>,
  numOutputs = 1,
): Tensor[] {
  const ids = inputs.map((t) => (typeof t === 'number' ? t : backend.getInputTensorIds([t])[0]!));
  const outputs = backend.binding.executeOp(name, attrs, ids, numOutputs);
  return outputs.map((m) => backend.createOutputTensor(m));
}

/** The `T` attribute of a float32 op. */
export function floatTypeAttr(backend: NativeBackend, name = 'T'): OpAttr {
  return { name, type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT };
}

/** The gradient before an optional ReLU, from `dy` after it: `ReluGrad(dy, y)` for 'relu' (`y` its output), else `dy`. */
export function beforeActivation(backend: NativeBackend, activation: 'relu' | 'linear', dy: Tensor, y: Tensor): Tensor {
  return activation === 'relu' ? runNativeOp(backend, 'ReluGrad', [floatTypeAttr(backend)], [dy, y])[0]! : dy;
}
