/**
 * tfjs-layers' LSTM, running on TensorFlow's fused BlockLSTM kernels (fused-lstm.ts) when it can.
 *
 * It is the tfjs `LSTM` class with only `call` overridden: same weights (`cell.kernel`, `cell.recurrentKernel`,
 * `cell.bias`), same config, and `getClassName()` stays 'LSTM', so model.json holds a plain LSTM that loads anywhere;
 * registered under that name, so models loaded here get the fused kernel too.
 *
 * The fused path needs the native backend and the Keras defaults: tanh activation, sigmoid recurrent activation,
 * no dropout while training, no mask, not stateful (goBackwards, returnState and an initial state are fine).
 * Anything else runs tfjs's step-by-step LSTM.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';
import { useNativeOrthogonal } from './native-orthogonal.js';
import { fusedLstm, fusedLstmAvailable } from './fused-lstm.js';
import { isTracing } from '../graph/step-hooks.js';
import { unrolledLstm } from '../graph/unrolled-lstm.js';

type LSTMLayer = ReturnType<TfWithLayers['layers']['lstm']>;
export type LSTMLayerArgs = Parameters<TfWithLayers['layers']['lstm']>[0];
type Kwargs = Parameters<LSTMLayer['call']>[1];

/** The LSTMCell fields read here (typed loosely in tfjs: `RNN.cell` is an `RNNCell`). */
interface LstmCell {
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  useBias: boolean;
  dropout: number;
  recurrentDropout: number;
  dropoutMask: Tensor | Tensor[] | null;
  recurrentDropoutMask: Tensor | Tensor[] | null;
  kernel?: { read(): Tensor };
  recurrentKernel?: { read(): Tensor };
  bias?: { read(): Tensor } | null;
}

const LSTMBase = tfjsLayerClass<LSTMLayerArgs, LSTMLayer>('LSTM');

export class FusedLSTM extends LSTMBase {
  /** Set to false to always run tfjs's generic step-by-step LSTM (e.g. to compare speeds). */
  fusedKernel = true;
  /** Calls that ran the fused kernel / the generic implementation. */
  fusedCalls = 0;
  genericCalls = 0;

  constructor(args: LSTMLayerArgs) {
    super(args);
    // The recurrent kernel's default initializer, with TensorFlow's QR (native-orthogonal.ts).
    useNativeOrthogonal((this.cell as unknown as { recurrentInitializer?: unknown }).recurrentInitializer);
  }

  /** Whether a training call (without a mask) runs the fused kernel on the current backend. */
  get usesFusedKernel(): boolean {
    return this.fusedBlocker(true) === null;
  }

  /** Why calls with this `training` flag cannot take the fused path, or null when they can. */
  fusedBlocker(training: boolean): string | null {
    const cell = this.cell as unknown as LstmCell;
    if (!this.fusedKernel) return 'fusedKernel is off';
    if (!fusedLstmAvailable()) return `backend '${tf.getBackend()}' has no fused LSTM kernel`;
    if (cell.activation.getClassName() !== 'tanh') return `activation '${cell.activation.getClassName()}' (the kernel computes tanh)`;
    if (cell.recurrentActivation.getClassName() !== 'sigmoid') {
      return `recurrentActivation '${cell.recurrentActivation.getClassName()}' (the kernel computes sigmoid)`;
    }
    if (training && (cell.dropout > 0 || cell.recurrentDropout > 0)) return 'dropout while training';
    if (this.stateful) return 'stateful';
    return null;
  }

  // tfjs's LSTMCell makes its unit-forget-bias initial value from four intermediate tensors it never disposes (one
  // network with an LSTM left 4 tensors behind for its lifetime); the variables themselves outlive the tidy.
  override build(inputShape: Parameters<LSTMLayer['build']>[0]): void {
    tf.tidy(() => super.build(inputShape));
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const mask = kwargs?.mask as Tensor | Tensor[] | null | undefined;
    const initialState = kwargs?.initialState as unknown;
    const state = initialState == null ? null : concreteState(initialState);
    const cell = this.cell as unknown as LstmCell;
    const fused =
      x != null &&
      x.rank === 3 &&
      x.dtype === 'float32' &&
      x.shape[0]! > 0 &&
      x.shape[1]! > 0 &&
      mask == null &&
      (initialState == null || state != null) &&
      cell.kernel != null &&
      cell.recurrentKernel != null &&
      this.fusedBlocker(kwargs?.training === true) === null;
    if (!fused) {
      this.genericCalls++;
      return super.call(inputs, kwargs);
    }
    this.fusedCalls++;
    return tf.tidy(() => {
      // As tfjs's LSTM.call: drop dropout masks left over from an earlier (generic, training) call.
      for (const key of ['dropoutMask', 'recurrentDropoutMask'] as const) {
        if (cell[key] != null) {
          tf.dispose(cell[key]!);
          cell[key] = null;
        }
      }
      // goBackwards, as tfjs's rnn(): the steps in reverse, outputs in the order processed (not re-reversed).
      // Traced into a graph, the unrolled form runs faster than the fused kernels (graph/unrolled-lstm.ts).
      const outputs = (isTracing() ? unrolledLstm : fusedLstm)(
        this.goBackwards ? tf.reverse(x as Tensor3D, 1) : (x as Tensor3D),
        {
          kernel: cell.kernel!.read() as Tensor2D,
          recurrentKernel: cell.recurrentKernel!.read() as Tensor2D,
          bias: cell.useBias && cell.bias != null ? (cell.bias.read() as Tensor1D) : null,
        },
        state,
        { returnSequences: this.returnSequences, returnState: this.returnState },
      );
      return this.returnState ? outputs : outputs[0]!;
    });
  }
}

/** `[h, c]` when `initialState` is two concrete (not symbolic) tensors, else null. */
function concreteState(initialState: unknown): [Tensor2D, Tensor2D] | null {
  const states = Array.isArray(initialState) ? initialState : [initialState];
  if (states.length !== 2 || !states.every((s) => s instanceof tf.Tensor && s.rank === 2 && s.dtype === 'float32')) return null;
  return states as [Tensor2D, Tensor2D];
}

/** An LSTM layer that runs the fused kernel when it can; its options are tfjs's `tf.layers.lstm` options. */
export function fusedLstmLayer(args: LSTMLayerArgs): FusedLSTM {
  return new FusedLSTM(args);
}
