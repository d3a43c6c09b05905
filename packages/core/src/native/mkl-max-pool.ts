/**
 * oneDNN's max-pool kernels, `_MklNativeMaxPool` and `_MklNativeMaxPoolGrad`: Keras's graph runs them (a graph rewrite
 * substitutes them for TensorFlow's Eigen kernels); in eager mode they are reachable by their kernel label. Used by
 * native-kernels.ts (forward) and native-gradients.ts (gradient) when this TensorFlow build has them.
 */
import type { NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { floatTypeAttr, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';

let available: boolean | undefined;

/**
 * The attributes of oneDNN's max-pool kernels for a tfjs MaxPool (NHWC), or null for what they do not take;
 * `workspace`: whether the forward kernel records the argmax workspace its gradient needs.
 */
export function mklMaxPoolAttrs(backend: NativeBackend, attrs: NamedAttrMap, workspace: boolean): OpAttr[] | null {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: unknown;
    dimRoundingMode?: unknown;
  };
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

/** oneDNN's max-pool gradient, for `attrs` from `mklMaxPoolAttrs(…, true)`. */
export function mklMaxPoolGradient(backend: NativeBackend, attrs: OpAttr[], x: Tensor, y: Tensor, dy: Tensor): Tensor {
  // The kernel takes the argmax "workspace" (uint8, which tfjs cannot hold as such) from oneDNN's forward pass, which
  // is recomputed here (~1 ms on the seed CNN's largest pooling): the forward kernel (native-kernels.ts) skips it.
  const [, workspace] = runNativeOp(backend, '_MklNativeMaxPool', attrs, [x], 2);
  try {
    return runNativeOp(backend, '_MklNativeMaxPoolGrad', attrs, [x, y, dy, workspace!])[0]!;
  } finally {
    workspace!.dispose();
  }
}

/** Whether this TensorFlow build runs oneDNN's max-pool kernels (probed once, on their gradient). */
export function mklMaxPoolAvailable(backend: NativeBackend): boolean {
  if (available === undefined) {
    try {
      tf.tidy(() => {
        const x = tf.tensor4d([1, 3, 2, 0], [1, 2, 2, 1]);
        const y = tf.tensor4d([3], [1, 1, 1, 1]);
        const attrs = mklMaxPoolAttrs(backend, { filterSize: 2, strides: 2, pad: 'valid' }, true)!;
        const g = mklMaxPoolGradient(backend, attrs, x, y, tf.onesLike(y)).dataSync();
        if (g.join() !== '0,1,0,0') throw new Error(`unexpected max-pool gradient ${g.join()}`);
      });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}
