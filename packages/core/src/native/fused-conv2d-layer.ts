/**
 * tfjs-layers' Conv2D, running convolution + bias (+ ReLU) as TensorFlow's one `_FusedConv2D` kernel (fused-conv2d.ts)
 * when it can: forward, and backward with native gradient kernels.
 *
 * As FusedLSTM: the tfjs `Conv2D` class with only `call` overridden, the same weights and config, `getClassName()`
 * still 'Conv2D', registered under that name so loaded models get it too. The fused path needs the native backend
 * (with our patched addon), channels-last float32 input, a bias, 'relu' or 'linear' activation and no dilation;
 * anything else runs tfjs's own Conv2D.
 */
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';
import { fusedConv2d, fusedConv2dAvailable } from './fused-conv2d.js';

type Conv2DLayer = ReturnType<TfWithLayers['layers']['conv2d']>;
export type Conv2DLayerArgs = Parameters<TfWithLayers['layers']['conv2d']>[0];
type Kwargs = Parameters<Conv2DLayer['call']>[1];

/** The Conv2D fields read here (protected or untyped in tfjs-layers). */
interface ConvFields {
  kernel: { read(): Tensor } | null;
  bias: { read(): Tensor } | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string };
}

const Conv2DBase = tfjsLayerClass<Conv2DLayerArgs, Conv2DLayer>('Conv2D');

export class FusedConv2D extends Conv2DBase {
  /** Set to false to always run tfjs's Conv2D (e.g. to compare speeds). */
  fusedKernel = true;
  /** Calls that ran the fused kernel / tfjs's implementation. */
  fusedCalls = 0;
  genericCalls = 0;

  /** Why this layer cannot take the fused path, or null when it can. */
  get fusedBlocker(): string | null {
    const f = this as unknown as ConvFields;
    if (!this.fusedKernel) return 'fusedKernel is off';
    if (!fusedConv2dAvailable()) return `backend '${tf.getBackend()}' cannot run _FusedConv2D`;
    if (f.bias == null) return 'no bias';
    if (f.dataFormat !== 'channelsLast') return `dataFormat '${f.dataFormat}'`;
    if ([f.dilationRate].flat().some((d) => d !== 1)) return 'dilation';
    if (f.padding !== 'valid' && f.padding !== 'same') return `padding '${f.padding}'`;
    const activation = f.activation.getClassName();
    if (activation !== 'relu' && activation !== 'linear') return `activation '${activation}'`;
    return null;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (x == null || x.rank !== 4 || x.dtype !== 'float32' || this.fusedBlocker !== null) {
      this.genericCalls++;
      return super.call(inputs, kwargs);
    }
    this.fusedCalls++;
    const f = this as unknown as ConvFields;
    return fusedConv2d(x as Tensor4D, f.kernel!.read() as Tensor4D, f.bias!.read() as Tensor1D, {
      strides: [f.strides[0]!, f.strides[1]!],
      padding: f.padding as 'valid' | 'same',
      activation: f.activation.getClassName() as 'relu' | 'linear',
    });
  }
}
