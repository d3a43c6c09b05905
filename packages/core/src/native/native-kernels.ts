/**
 * Faster forward kernels registered over tfjs-node's own, on the native backend:
 *
 * - MaxPool: tfjs-node runs TensorFlow's eager `MaxPool`, Eigen's kernel; Keras's graph runs oneDNN's, which a graph
 *   rewrite substitutes. `_MklNativeMaxPool` is that kernel, reachable in eager mode by its kernel label
 *   (mkl-max-pool.ts); measured about twice as fast on the seed CNN's largest pooling.
 *   Same values: a maximum is a maximum.
 *
 * - GatherV2: tfjs-node's reads every index back to the host to check its range before running TensorFlow's kernel,
 *   which checks the range itself (and fails with the offending index); the read is a device sync per embedding
 *   lookup and keeps a step from running as a graph (graph/). This one runs the kernel directly.
 *
 * Attributes the oneDNN kernel does not take, and any other backend, keep tfjs-node's kernel.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { isTracing } from '../graph/step-hooks.js';
import { mklMaxPoolAttrs, mklMaxPoolAvailable } from './mkl-max-pool.js';
import { nativeBackend, runNativeOp } from './native-ops.js';

let installed = false;
/** Uses of each kernel, for tests and benchmarks to confirm which path ran. */
export const nativeKernelCalls = { maxPool: 0, gather: 0 };
/** tfjs-node's own kernels that these replace (their fallback, and the reference in tests). */
export const tfjsKernels: Record<string, KernelConfig> = {};

/** Registers the kernels above (once); a no-op when tfjs-node's kernels are not registered. */
export function installNativeKernels(): void {
  if (installed) return;
  installed = true;
  replace('MaxPool', (original) => (args) => {
    const backend = nativeBackend();
    const x = args.inputs['x'] as TensorInfo | undefined;
    // Traced into a graph, the forward pass computes the argmax workspace too: the gradient's recomputation of it
    // (mkl-max-pool.ts) is then the same node, which TensorFlow's graph optimizer merges into this one.
    const attrs = backend && x?.dtype === 'float32' ? mklMaxPoolAttrs(backend, args.attrs as NamedAttrMap, isTracing()) : null;
    if (backend == null || attrs == null || !mklMaxPoolAvailable(backend)) return original(args);
    nativeKernelCalls.maxPool++;
    const [y, workspace] = runNativeOp(backend, '_MklNativeMaxPool', attrs, [x as never], 2);
    workspace!.dispose();
    return y!;
  });
  replace('GatherV2', (original) => (args) => {
    const backend = nativeBackend();
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    if (backend == null) return original(args);
    nativeKernelCalls.gather++;
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const { TF_ATTR_INT, TF_ATTR_TYPE, TF_INT32 } = backend.binding;
    const attrs = [
      { name: 'batch_dims', type: TF_ATTR_INT, value: batchDims },
      { name: 'Tparams', type: TF_ATTR_TYPE, value: backend.getDTypeInteger(x.dtype) },
      { name: 'Tindices', type: TF_ATTR_TYPE, value: backend.getDTypeInteger(indices.dtype) },
      { name: 'Taxis', type: TF_ATTR_TYPE, value: TF_INT32 },
    ];
    return tf.tidy(() => runNativeOp(backend, 'GatherV2', attrs, [x as never, indices as never, tf.scalar(axis, 'int32')])[0]!);
  });
}

function replace(kernelName: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(kernelName, 'tensorflow') as KernelConfig | undefined;
  if (original == null) return;
  tfjsKernels[kernelName] = original;
  tf.unregisterKernel(kernelName, 'tensorflow');
  tf.registerKernel({ ...original, kernelFunc: make(original.kernelFunc) });
}
