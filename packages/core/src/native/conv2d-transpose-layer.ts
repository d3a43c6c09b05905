/**
 * tfjs-layers' Conv2DTranspose, running the transposed convolution and bias with TensorFlow's kernels
 * (conv2d-transpose.ts) on the native backend: an image-sized output (1–4 channels) takes TensorFlow's faster Eigen
 * kernel. As FusedConv2D: the tfjs class with only `call` overridden, registered under its name 'Conv2DTranspose'.
 * Channels-first input, or any other backend, runs tfjs's own Conv2DTranspose.
 */
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { conv2dTranspose, conv2dTransposeAvailable } from './conv2d-transpose.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

type Conv2DTransposeLayer = ReturnType<TfWithLayers['layers']['conv2dTranspose']>;
export type Conv2DTransposeLayerArgs = Parameters<TfWithLayers['layers']['conv2dTranspose']>[0];
type Kwargs = Parameters<Conv2DTransposeLayer['call']>[1];

/** The Conv2DTranspose fields read here (protected or untyped in tfjs-layers). */
interface ConvTransposeFields {
  kernel: { read(): Tensor } | null;
  bias: { read(): Tensor } | null;
  filters: number;
  kernelSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
  activation: { apply(x: Tensor): Tensor } | null;
}

const Conv2DTransposeBase = tfjsLayerClass<Conv2DTransposeLayerArgs, Conv2DTransposeLayer>('Conv2DTranspose');

export class NativeConv2DTranspose extends Conv2DTransposeBase {
  /** Set to false to always run tfjs's Conv2DTranspose (e.g. to compare). */
  nativeKernel = true;
  /** Calls that ran TensorFlow's kernels / tfjs's implementation. */
  nativeCalls = 0;
  genericCalls = 0;

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const f = this as unknown as ConvTransposeFields;
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (
      !this.nativeKernel ||
      x == null ||
      x.rank !== 4 ||
      x.dtype !== 'float32' ||
      f.dataFormat !== 'channelsLast' ||
      !conv2dTransposeAvailable()
    ) {
      this.genericCalls++;
      return super.call(inputs, kwargs);
    }
    this.nativeCalls++;
    const [batch, height, width] = x.shape as number[];
    const padding = f.padding as 'valid' | 'same';
    // tfjs-layers' (and Keras's) output size for a stride and kernel: `deconvLength`.
    const size = (n: number, stride: number, kernel: number) => n * stride + (padding === 'valid' ? Math.max(kernel - stride, 0) : 0);
    return tf.tidy(() => {
      const y = conv2dTranspose(x as Tensor4D, f.kernel!.read() as Tensor4D, (f.bias?.read() as Tensor1D | undefined) ?? null, {
        outputShape: [batch!, size(height!, f.strides[0]!, f.kernelSize[0]!), size(width!, f.strides[1]!, f.kernelSize[1]!), f.filters],
        strides: [f.strides[0]!, f.strides[1]!],
        padding,
      });
      return f.activation ? f.activation.apply(y) : y;
    });
  }
}
