/**
 * Faster gradients for ops every CNN or GAN uses, registered over tfjs's own when the native backend runs:
 *
 * - ReLU: tfjs computes `dy · step(x)`, and tfjs-node builds `step` from six kernels over the whole activation
 *   (IsNan, Greater, two Fills, two Selects) plus a Cast and a Multiply; TensorFlow's `ReluGrad` is one kernel.
 *   On the seed CNN this was ~40% of a training step's kernel time.
 * - LeakyReLU: tfjs computes `where(x > 0, dy, alpha · dy)` in three kernels; TensorFlow's `LeakyReluGrad` is one
 *   (fed the output rather than the input where that is the same, see below).
 * - MaxPool: TensorFlow's eager `MaxPoolGrad` is its slow reference kernel (~10 ms for one 64×26×26×32 batch);
 *   Keras runs oneDNN's max-pool gradient, which a graph rewrite substitutes. `_MklNativeMaxPoolGrad` is that kernel,
 *   reachable in eager mode by its kernel label. It needs the argmax workspace of oneDNN's forward kernel, which the
 *   gradient recomputes (cheaper than the reference gradient). Used when the TensorFlow build has it (probed once).
 *
 * All give the same values as tfjs's gradients (tested, ties included); on any other backend, or for attributes the
 * native kernels do not take, tfjs's own gradient runs.
 */
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { mklMaxPoolAttrs, mklMaxPoolAvailable, mklMaxPoolGradient } from './mkl-max-pool.js';
import { floatTypeAttr, nativeBackend, runNativeOp, type OpAttr } from './native-ops.js';

let installed = false;
/** Uses of each native gradient, for tests and benchmarks to confirm which path ran. */
export const nativeGradientCalls = { relu: 0, leakyRelu: 0, maxPool: 0 };
/** tfjs's own gradient configs that these replace (their fallback, and the reference in tests). */
export const tfjsGradients: Record<string, GradConfig> = {};

/** Registers the gradients above (once); safe to call on any backend. */
export function installNativeGradients(): void {
  if (installed) return;
  installed = true;
  override('Relu', (original) => (dy, saved, attrs) => {
    const backend = nativeBackend();
    const [x] = saved as [Tensor];
    if (backend == null || x.dtype !== 'float32' || (dy as Tensor).dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
    return {
      x: () => {
        nativeGradientCalls.relu++;
        return runNativeOp(backend, 'ReluGrad', [floatTypeAttr(backend)], [dy as Tensor, x])[0]!;
      },
    };
  });
  override(
    'LeakyRelu',
    (original) => (dy, saved, attrs) => {
      const backend = nativeBackend();
      const [x, y] = saved as [Tensor, Tensor];
      const { alpha } = attrs as { alpha: number };
      if (backend == null || x.dtype !== 'float32' || (dy as Tensor).dtype !== 'float32') return original.gradFunc(dy, [x], attrs);
      return {
        x: () => {
          nativeGradientCalls.leakyRelu++;
          const alphaAttr: OpAttr = { name: 'alpha', type: backend.binding.TF_ATTR_FLOAT, value: alpha };
          // For alpha ≥ 0 the output is positive exactly where the input is, so the kernel may read either. Reading the
          // output leaves the input to the activation alone, which lets TensorFlow's graph optimizer fuse a convolution
          // and its bias with the activation (and spares it a failing rewrite when the input has a second reader).
          return runNativeOp(backend, 'LeakyReluGrad', [floatTypeAttr(backend), alphaAttr], [dy as Tensor, alpha >= 0 ? y : x])[0]!;
        },
      };
    },
    { outputsToSave: [true] },
  );
  override('MaxPool', (original) => (dy, saved, attrs) => {
    const backend = nativeBackend();
    const [x, y] = saved as [Tensor, Tensor];
    const nativeAttrs = backend && x.dtype === 'float32' ? mklMaxPoolAttrs(backend, attrs, true) : null;
    if (backend == null || nativeAttrs == null || !mklMaxPoolAvailable(backend)) return original.gradFunc(dy, saved, attrs);
    return {
      x: () => {
        nativeGradientCalls.maxPool++;
        return mklMaxPoolGradient(backend, nativeAttrs, x, y, dy as Tensor);
      },
    };
  });
}

type GradFunc = GradConfig['gradFunc'];

/** Registers `make(original)` as `kernelName`'s gradient; `extra` changes what the forward pass saves for it. */
function override(
  kernelName: string,
  make: (original: GradConfig & { gradFunc: GradFunc }) => GradFunc,
  extra: Partial<GradConfig> = {},
): void {
  const original = tf.getGradient(kernelName);
  if (original?.gradFunc == null) return; // tfjs changed: keep whatever it has
  tfjsGradients[kernelName] = original;
  tf.registerGradient({ ...original, ...extra, gradFunc: make(original as GradConfig & { gradFunc: GradFunc }) });
}
