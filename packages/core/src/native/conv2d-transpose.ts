/**
 * A transposed 2-D convolution (+ bias) as TensorFlow's `Conv2DBackpropInput` and `BiasAdd` kernels, with a gradient
 * of `Conv2D`, `Conv2DBackpropFilter` and `Sum`: tfjs-node's kernels, but for the transposed convolution itself, which
 * takes TensorFlow's Eigen kernel when its output has 1–4 channels (conv-input-gradient.ts) — a generator's image.
 */
import type { NamedAttrMap, NamedTensorMap, Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { convAttrs, nhwcAttr, type ConvGeometry } from './conv-attrs.js';
import { convInputGradient } from './conv-input-gradient.js';
import { floatTypeAttr, nativeBackend, runNativeOp } from './native-ops.js';

export interface Conv2dTransposeOptions extends ConvGeometry {
  /** The NHWC output shape: `x` is the output of a convolution of an input of this shape by the filter. */
  outputShape: [number, number, number, number];
}

/** Whether the native backend is active (the kernels above are stock TensorFlow ones). */
export function conv2dTransposeAvailable(): boolean {
  return nativeBackend() !== null;
}

const KERNEL = 'DlConv2DTranspose';
let registered = false;

/**
 * `conv2dTranspose(x, filter, outputShape, strides, padding) + bias` for NHWC `x` and `[h, w, out, in]` `filter`, as
 * tfjs's op; `bias` [out] is optional. Differentiable in all three.
 */
export function conv2dTranspose(x: Tensor4D, filter: Tensor4D, bias: Tensor1D | null, options: Conv2dTransposeOptions): Tensor4D {
  if (!registered) register();
  const inputs: NamedTensorMap = bias ? { x, filter, bias } : { x, filter };
  return tf.engine().runKernel(KERNEL, inputs, { ...options } as unknown as NamedAttrMap) as Tensor4D;
}

function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs }) => {
      const backend = nativeBackend()!;
      const { x, filter, bias } = inputs as { x: Tensor; filter: Tensor; bias?: Tensor };
      const options = attrs as unknown as Conv2dTransposeOptions;
      let y = convInputGradient(backend, x, filter, options.outputShape, options);
      if (bias) {
        const z = y;
        y = runNativeOp(backend, 'BiasAdd', [floatTypeAttr(backend), nhwcAttr(backend)], [z, bias])[0] as Tensor4D;
        z.dispose();
      }
      return y as unknown as ReturnType<Parameters<typeof tf.registerKernel>[0]['kernelFunc']>;
    },
  });
  // A gradient per input, computed only when asked for.
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const backend = nativeBackend()!;
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const conv = convAttrs(backend, attrs as unknown as ConvGeometry);
      return {
        // The convolution the transposed one transposes.
        x: () => runNativeOp(backend, 'Conv2D', conv, [dy as Tensor, filter])[0]!,
        filter: () => runNativeOp(backend, 'Conv2DBackpropFilter', conv, [dy as Tensor, tf.tensor1d(filter.shape, 'int32'), x])[0]!,
        bias: () => tf.sum(dy as Tensor, [0, 1, 2]),
      };
    },
  });
}
