/**
 * Convolution, bias and ReLU as TensorFlow's one `_FusedConv2D` kernel (oneDNN applies the bias and the ReLU as it
 * writes the convolution's output), with a gradient of four native kernels: `ReluGrad`, `Sum` (the
 * bias), `Conv2DBackpropInput`, `Conv2DBackpropFilter`. This is what Keras's graph runs after TensorFlow's remapper fuses
 * the three ops; tfjs instead writes and re-reads the whole activation twice (a broadcast Add, then a Relu), and
 * tfjs-node composes its own "fused" kernel from the same three ops.
 *
 * Needs our patch of tfjs-node's addon (patches/), which lets `executeOp` pass `_FusedConv2D`'s list attributes.
 */
import type { NamedAttrMap, Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { nativeCapabilities, tf } from '../backend.js';
import { isTracing } from '../graph/step-hooks.js';
import { convAttrs, nhwcAttr, type ConvGeometry } from './conv-attrs.js';
import { convInputGradient } from './conv-input-gradient.js';
import { beforeActivation, floatTypeAttr, nativeBackend, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';

export interface FusedConv2dOptions extends ConvGeometry {
  /** 'relu' or 'linear' (bias only). */
  activation: 'relu' | 'linear';
}

/**
 * Whether the native backend runs `_FusedConv2D` (the patched addon): the list-attribute capability backend.ts checks
 * once, on a tiny fused convolution.
 */
export function fusedConv2dAvailable(): boolean {
  return nativeBackend() !== null && nativeCapabilities()?.listAttributes.ok === true;
}

/** The tfjs kernel running `_FusedConv2D` on the native backend, with its gradient registered beside it. */
const KERNEL = 'DlFusedConv2D';
let registered = false;

/** `activation(conv2d(x, filter) + bias)` for NHWC `x` and `[h, w, in, out]` `filter`, differentiable in all three. */
export function fusedConv2d(x: Tensor4D, filter: Tensor4D, bias: Tensor1D, options: FusedConv2dOptions): Tensor4D {
  if (!registered) register();
  return tf.engine().runKernel(KERNEL, { x, filter, bias }, { ...options } as unknown as NamedAttrMap) as Tensor4D;
}

function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, filter, bias } = inputs as { x: Tensor; filter: Tensor; bias: Tensor };
      return fusedConv2dForward(nativeBackend()!, x, filter, bias, attrs as unknown as FusedConv2dOptions);
    },
  });
  // A gradient per input, computed only when asked for (a network's first layer needs no input gradient).
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const backend = nativeBackend()!;
      const [x, filter, y] = saved as [Tensor4D, Tensor4D, Tensor4D];
      const options = attrs as unknown as FusedConv2dOptions;
      // Shared by the three; the backward pass's own scope frees it.
      const dz = beforeActivation(backend, options.activation, dy as Tensor, y);
      return {
        // An image's gradient (1–4 channels) takes TensorFlow's faster Eigen kernel there (conv-input-gradient.ts).
        x: () => convInputGradient(backend, dz, filter, x.shape, options),
        filter: () =>
          runNativeOp(backend, 'Conv2DBackpropFilter', convAttrs(backend, options), [x, tf.tensor1d(filter.shape, 'int32'), dz])[0]!,
        // A plain Sum, not BiasAddGrad: in a graph, TensorFlow's oneDNN pass fuses BiasAddGrad into the filter
        // gradient (Conv2DBackpropFilterWithBias), whose bias reduction is slow: 11% of the cnn preset's training
        // step on 2 cores (perf). A separate reduction made the step 13% faster, for the same sum.
        bias: () => tf.sum(dz, [0, 1, 2]),
      };
    },
  });
}

function fusedConv2dForward(backend: NativeBackend, x: Tensor, filter: Tensor, bias: Tensor, options: FusedConv2dOptions): Tensor4D {
  const b = backend.binding;
  if (isTracing()) {
    // In a graph, TensorFlow's optimizer fuses Conv2D + BiasAdd (+ Relu) itself, and also with an activation layer
    // that follows (LeakyReLU); handed an already fused op it would try the latter and fail on the whole graph.
    const z = runNativeOp(
      backend,
      'BiasAdd',
      [floatTypeAttr(backend), nhwcAttr(backend)],
      [runNativeOp(backend, 'Conv2D', convAttrs(backend, options), [x, filter])[0]!, bias],
    )[0]!;
    return (options.activation === 'relu' ? runNativeOp(backend, 'Relu', [floatTypeAttr(backend)], [z])[0]! : z) as Tensor4D;
  }
  const attrs: OpAttr[] = [
    ...convAttrs(backend, options),
    { name: 'num_args', type: b.TF_ATTR_INT, value: 1 },
    { name: 'TArgs', type: b.TF_ATTR_TYPE, value: [b.TF_FLOAT] },
    { name: 'fused_ops', type: b.TF_ATTR_STRING, value: options.activation === 'relu' ? ['BiasAdd', 'Relu'] : ['BiasAdd'] },
  ];
  return runNativeOp(backend, '_FusedConv2D', attrs, [x, filter, bias])[0] as Tensor4D;
}
