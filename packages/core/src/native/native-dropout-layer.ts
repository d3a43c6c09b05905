/**
 * tfjs-layers' Dropout, drawing its mask with TensorFlow's native random kernel (native-dropout.ts) while training on
 * the native backend. As FusedConv2D: the tfjs class with only `call` overridden, registered under its name
 * 'Dropout', so saved models stay plain Dropouts and loaded ones get the native mask too. A layer given a fixed
 * `seed` keeps tfjs's implementation (which repeats that one mask on every call).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { nativeDropout, nativeDropoutAvailable } from './native-dropout.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

type DropoutLayer = ReturnType<TfWithLayers['layers']['dropout']>;
export type DropoutLayerArgs = Parameters<TfWithLayers['layers']['dropout']>[0];
type Kwargs = Parameters<DropoutLayer['call']>[1];

/** The Dropout fields read here (protected or untyped in tfjs-layers). */
interface DropoutFields {
  rate: number;
  seed: number | undefined;
  getNoiseShape(input: Tensor): number[] | undefined;
  invokeCallHook(inputs: Tensor | Tensor[], kwargs: Kwargs): void;
}

const DropoutBase = tfjsLayerClass<DropoutLayerArgs, DropoutLayer>('Dropout');

export class NativeDropout extends DropoutBase {
  /** Training calls that drew the mask natively / through tfjs. */
  nativeCalls = 0;
  genericCalls = 0;

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const f = this as unknown as DropoutFields;
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (kwargs['training'] !== true || !(f.rate > 0 && f.rate < 1)) return super.call(inputs, kwargs);
    if (x == null || x.dtype !== 'float32' || f.seed != null || !nativeDropoutAvailable()) {
      this.genericCalls++;
      return super.call(inputs, kwargs);
    }
    this.nativeCalls++;
    f.invokeCallHook(inputs, kwargs);
    return nativeDropout(x, f.rate, f.getNoiseShape(x) ?? x.shape);
  }
}
