/**
 * Faster gradients for ops every CNN or GAN uses, registered over tfjs's own when the native backend runs:
 *
 * - ReLU: tfjs computes `dy · step(x)`, and tfjs-node builds `step` from six kernels over the whole activation
 *   (IsNan, Greater, two Fills, two Selects) plus a Cast and a Multiply; TensorFlow's `ReluGrad` is one kernel.
 *   On the seed CNN this was ~40% of a training step's kernel time.
 * - LeakyReLU: tfjs computes `where(x > 0, dy, alpha · dy)` in three kernels; TensorFlow's `LeakyReluGrad` is one.
 * - MaxPool: TensorFlow's eager `MaxPoolGrad` is its slow reference kernel (~10 ms for one 64×26×26×32 batch);
 *   Keras runs oneDNN's max-pool gradient, which a graph rewrite substitutes. `_MklNativeMaxPoolGrad` is that kernel,
 *   reachable in eager mode by its kernel label. It needs the argmax workspace of oneDNN's forward kernel, which the
 *   gradient recomputes (cheaper than the reference gradient). Used when the TensorFlow build has it (probed once).
 *
 * All give the same values as tfjs's gradients (tested, ties included); on any other backend, or for attributes the
 * native kernels do not take, tfjs's own gradient runs.
 */
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { tf } from '../backend.js';
import { floatTypeAttr, nativeBackend, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';

let installed = false;
let mklMaxPool: boolean | undefined;
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
  override('LeakyRelu', (original) => (dy, saved, attrs) => {
    const backend = nativeBackend();
    const [x] = saved as [Tensor];
    const { alpha } = attrs as { alpha: number };
    if (backend == null || x.dtype !== 'float32' || (dy as Tensor).dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
    return {
      x: () => {
        nativeGradientCalls.leakyRelu++;
        const alphaAttr: OpAttr = { name: 'alpha', type: backend.binding.TF_ATTR_FLOAT, value: alpha };
        return runNativeOp(backend, 'LeakyReluGrad', [floatTypeAttr(backend), alphaAttr], [dy as Tensor, x])[0]!;
      },
    };
  });
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

function override(kernelName: string, make: (original: GradConfig & { gradFunc: GradFunc }) => GradFunc): void {
  const original = tf.getGradient(kernelName);
  if (original?.gradFunc == null) return; // tfjs changed: keep whatever it has
  tfjsGradients[kernelName] = original;
  tf.registerGradient({ ...original, gradFunc: make(original as GradConfig & { gradFunc: GradFunc }) });
}

/**
 * The attributes of oneDNN's max-pool kernels for a tfjs MaxPool (NHWC), or null for what they do not take;
 * `workspace`: whether the forward kernel records the argmax workspace its gradient needs.
 */
export function mklMaxPoolAttrs(backend: NativeBackend, attrs: NamedAttrMap, workspace: boolean): OpAttr[] | null {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown };
  if ((pad !== 'valid' && pad !== 'same') || dimRoundingMode != null) return null;
  const pair = (v: number | [number, number]) => (typeof v === 'number' ? [v, v] : v);
  const [fh, fw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const b = backend.binding;
  return [
    floatTypeAttr(backend),
    { name: 'ksize', type: b.TF_ATTR_INT, value: [1, fh!, fw!, 1] },
    { name: 'strides', type: b.TF_ATTR_INT, value: [1, sh!, sw!, 1] },
    { name: 'padding', type: b.TF_ATTR_STRING, value: pad.toUpperCase() },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'workspace_enabled', type: b.TF_ATTR_BOOL, value: workspace },
    // Selects oneDNN's kernel, which TensorFlow registers under this label.
    { name: '_kernel', type: b.TF_ATTR_STRING, value: 'MklNameChangeOp' },
  ];
}

function mklMaxPoolGradient(backend: NativeBackend, attrs: OpAttr[], x: Tensor, y: Tensor, dy: Tensor): Tensor {
  // The kernel takes the argmax "workspace" (uint8, which tfjs cannot hold as such) from oneDNN's forward pass;
  // recomputing that forward here (~1 ms on the seed CNN's largest pooling) keeps the model's forward pass tfjs's own.
  const [, workspace] = runNativeOp(backend, '_MklNativeMaxPool', attrs, [x], 2);
  try {
    return runNativeOp(backend, '_MklNativeMaxPoolGrad', attrs, [x, y, dy, workspace!])[0]!;
  } finally {
    workspace!.dispose();
  }
}

/** Whether this TensorFlow build runs oneDNN's max-pool kernels (probed once, on their gradient). */
export function mklMaxPoolAvailable(backend: NativeBackend): boolean {
  if (mklMaxPool === undefined) {
    // Meanwhile false: the probe's own tf.maxPool (native-kernels.ts) takes tfjs-node's kernel.
    mklMaxPool = false;
    try {
      tf.tidy(() => {
        const x = tf.tensor4d([1, 3, 2, 0], [1, 2, 2, 1]);
        const y = tf.maxPool(x, 2, 2, 'valid');
        const attrs = mklMaxPoolAttrs(backend, { filterSize: 2, strides: 2, pad: 'valid' }, true)!;
        const g = mklMaxPoolGradient(backend, attrs, x, y, tf.onesLike(y)).dataSync();
        if (g.join() !== '0,1,0,0') throw new Error(`unexpected max-pool gradient ${g.join()}`);
      });
      mklMaxPool = true;
    } catch {
      mklMaxPool = false;
    }
  }
  return mklMaxPool;
}
