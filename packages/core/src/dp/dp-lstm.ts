/**
 * DP-SGD's per-example rule for LSTM (Opacus's DPLSTM idea). An LSTM's weights are used at every step, through the
 * gate pre-activations zₜ = xₜ·W + hₜ₋₁·U + b [batch, 4·units], so example i's gradients are sums over its steps:
 *
 *   ∂Lᵢ/∂W = Σₜ xᵢₜᵀ δᵢₜ,  ∂Lᵢ/∂U = Σₜ hᵢ,ₜ₋₁ᵀ δᵢₜ,  ∂Lᵢ/∂b = Σₜ δᵢₜ,   δ = ∂L/∂z
 *
 * — the same "matrix product over T positions" as a Dense layer over a sequence, twice (inputs X = x with W and b,
 * X = h₋₁ with U), sharing δ. δ comes, for every step at once, as the gradient of a zero probe added to z inside the
 * unrolled LSTM (graph/unrolled-lstm.ts: the recurrence with its hand-written backward pass, which already computes δ
 * of every step for its weight gradients); h₋₁ is the layer's own output sequence shifted by one step. dp-step.ts
 * then takes norms and clipped sums exactly as for a Dense tap.
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { Layer } from '../layer-types.js';
import { nativeBackend } from '../native/native-ops.js';
import { unrolledLstm } from '../graph/unrolled-lstm.js';

/** What an LSTM's per-example gradients are made of: two products over the steps, sharing δ. */
export interface LstmTap {
  kind: 'lstm';
  /** The layer's input, in the order its steps were processed: [batch, steps, inputDim]. */
  x: Tensor3D;
  /** h before every step (zeros before the first): [batch, steps, units]. */
  hPrev: Tensor3D;
  kernel: Variable;
  recurrentKernel: Variable;
  bias: Variable | undefined;
}

/** The tfjs LSTM fields read here (the cell's are private in its typings). */
interface LstmFields {
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
  cell: {
    units: number;
    activation: { getClassName(): string };
    recurrentActivation: { getClassName(): string };
    dropout: number;
    recurrentDropout: number;
    useBias: boolean;
    kernel: { read(): Tensor };
    recurrentKernel: { read(): Tensor };
    bias?: { read(): Tensor } | null;
  };
}

/** Why DP-SGD cannot train this LSTM, or null when it can. */
export function lstmDpBlocker(layer: Layer): string | null {
  const f = layer as unknown as LstmFields;
  const { cell } = f;
  if (nativeBackend() === null) return `needs the native 'tensorflow' backend for DP-SGD, not '${tf.getBackend()}'`;
  if (cell.activation.getClassName() !== 'tanh' || cell.recurrentActivation.getClassName() !== 'sigmoid') {
    return 'DP-SGD trains LSTMs with the default activations (tanh, recurrent sigmoid) only: remove activation/recurrentActivation';
  }
  if (cell.dropout > 0 || cell.recurrentDropout > 0) {
    return 'DP-SGD trains LSTMs without dropout inside the cell: set dropout and recurrentDropout to 0 (a Dropout layer before or after works)';
  }
  if (f.stateful) return 'stateful LSTMs carry state across batches, so examples are not independent: DP-SGD needs stateful false';
  if (f.returnState) return 'DP-SGD trains models that are a chain of single-output layers: set returnState false';
  if (inputSteps(layer) == null) return 'DP-SGD needs a fixed number of steps (e.g. inputLength on the Embedding before it)';
  return null;
}

/** The number of steps of the layer's input as the model was built (a chain: its one inbound node), or null if not fixed. */
function inputSteps(layer: Layer): number | null {
  const nodes = (layer as unknown as { inboundNodes: Array<{ inputShapes: Array<Array<number | null>> }> }).inboundNodes;
  return nodes[0]?.inputShapes[0]?.[1] ?? null;
}

/** The probe's shape for a batch of `batch`: one δ per example, step and gate unit. */
export function lstmProbeShape(layer: Layer, batch: number): number[] {
  return [batch, inputSteps(layer)!, 4 * (layer as unknown as LstmFields).cell.units];
}

/** The layer's output on `x` with `probe` added to its gate pre-activations, and its tap (tensors kept). */
export function probedLstm(layer: Layer, x: Tensor3D, probe: Tensor3D): { y: Tensor; tap: LstmTap } {
  const f = layer as unknown as LstmFields;
  const { cell } = f;
  const kernel = cell.kernel.read() as Variable;
  const recurrentKernel = cell.recurrentKernel.read() as Variable;
  const bias = cell.useBias && cell.bias != null ? (cell.bias.read() as Variable) : undefined;
  const [batch, steps] = x.shape;
  const units = cell.units;
  // goBackwards: the steps in reverse, outputs in the order processed (as tfjs's rnn() and FusedLSTM).
  const input = f.goBackwards ? (tf.reverse(x, 1) as Tensor3D) : x;
  const [sequence] = unrolledLstm(
    input,
    {
      kernel: kernel as unknown as Tensor2D,
      recurrentKernel: recurrentKernel as unknown as Tensor2D,
      bias: (bias ?? null) as Tensor1D | null,
    },
    null,
    { returnSequences: true },
    probe,
  ) as [Tensor3D];
  const hPrev = tf.concat([tf.zeros([batch, 1, units]), tf.slice(sequence, [0, 0, 0], [batch, steps - 1, units])], 1) as Tensor3D;
  const y = f.returnSequences ? sequence : tf.reshape(tf.slice(sequence, [0, steps - 1, 0], [batch, 1, units]), [batch, units]);
  return { y, tap: { kind: 'lstm', x: tf.keep(tf.clone(input)), hPrev: tf.keep(hPrev), kernel, recurrentKernel, bias } };
}
