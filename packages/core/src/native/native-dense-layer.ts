/**
 * tfjs-layers' Dense, computing `x·kernel + bias` with TensorFlow's 2-D kernels (native-dense.ts) on the native
 * backend. As FusedConv2D: the tfjs class with only `call` overridden, registered under its name 'Dense'. The native
 * path takes float32 input of rank 2; a ReLU is fused into the kernel, any other activation applied to its output;
 * anything else runs tfjs's own Dense.
 */
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { nativeDense, nativeDenseAvailable } from './native-dense.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

type DenseLayer = ReturnType<TfWithLayers['layers']['dense']>;
export type DenseLayerArgs = Parameters<TfWithLayers['layers']['dense']>[0];
type Kwargs = Parameters<DenseLayer['call']>[1];

/** The Dense fields read here (protected or untyped in tfjs-layers). */
interface DenseFields {
  kernel: { read(): Tensor } | null;
  bias: { read(): Tensor } | null;
  activation: { apply(x: Tensor): Tensor; getClassName(): string };
  invokeCallHook(inputs: Tensor | Tensor[], kwargs: Kwargs): void;
}

const DenseBase = tfjsLayerClass<DenseLayerArgs, DenseLayer>('Dense');

export class NativeDense extends DenseBase {
  /** Set to false to always run tfjs's Dense (e.g. to compare). */
  nativeKernel = true;
  /** Calls that ran TensorFlow's 2-D kernels / tfjs's implementation. */
  nativeCalls = 0;
  genericCalls = 0;

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const f = this as unknown as DenseFields;
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (!this.nativeKernel || x == null || x.rank !== 2 || x.dtype !== 'float32' || f.kernel == null || !nativeDenseAvailable()) {
      this.genericCalls++;
      return super.call(inputs, kwargs);
    }
    this.nativeCalls++;
    f.invokeCallHook(inputs, kwargs);
    const activation = f.activation.getClassName().toLowerCase();
    const fused = activation === 'relu' ? 'relu' : 'linear';
    const y = nativeDense(x as Tensor2D, f.kernel.read() as Tensor2D, (f.bias?.read() as Tensor1D | undefined) ?? null, {
      activation: fused,
    });
    return fused === 'relu' || activation === 'linear' ? y : f.activation.apply(y);
  }
}
