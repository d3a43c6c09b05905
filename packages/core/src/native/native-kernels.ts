/**
 * Faster forward kernels registered over tfjs-node's own, on the native backend:
 *
 * - MaxPool: tfjs-node runs TensorFlow's eager `MaxPool`, Eigen's kernel; Keras's graph runs oneDNN's, which a graph
 *   rewrite substitutes. `_MklNativeMaxPool` is that kernel, reachable in eager mode by its kernel label
 *   (mkl-max-pool.ts); measured about twice as fast on the seed CNN's largest pooling.
 *   Same values: a maximum is a maximum.
 *
 * Attributes the oneDNN kernel does not take, and any other backend, keep tfjs-node's kernel.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { mklMaxPoolAttrs, mklMaxPoolAvailable } from './mkl-max-pool.js';
import { nativeBackend, runNativeOp } from './native-ops.js';

let installed = false;
/** Uses of each kernel, for tests and benchmarks to confirm which path ran. */
export const nativeKernelCalls = { maxPool: 0 };
/** tfjs-node's own kernels that these replace (their fallback, and the reference in tests). */
export const tfjsKernels: Record<string, KernelConfig> = {};

/** Registers the kernels above (once); a no-op when tfjs-node's kernels are not registered. */
export function installNativeKernels(): void {
  if (installed) return;
  installed = true;
  replace('MaxPool', (original) => (args) => {
    const backend = nativeBackend();
    const x = args.inputs['x'] as TensorInfo | undefined;
    const attrs = backend && x?.dtype === 'float32' ? mklMaxPoolAttrs(backend, args.attrs as NamedAttrMap, false) : null;
    if (backend == null || attrs == null || !mklMaxPoolAvailable(backend)) return original(args);
    nativeKernelCalls.maxPool++;
    const [y, workspace] = runNativeOp(backend, '_MklNativeMaxPool', attrs, [x as never], 2);
    workspace!.dispose();
    return y!;
  });
}

function replace(kernelName: string, make: (original: KernelFunc) => KernelFunc): void {
  const original = tf.getKernel(kernelName, 'tensorflow') as KernelConfig | undefined;
  if (original == null) return;
  tfjsKernels[kernelName] = original;
  tf.unregisterKernel(kernelName, 'tensorflow');
  tf.registerKernel({ ...original, kernelFunc: make(original.kernelFunc) });
}
