/**
 * tfjs-layers' GRU, plus Keras's `reset_after=True` variant (Keras 3's default, and cuDNN's): the reset gate multiplies
 * the recurrent projection after the matmul (`r ⊙ (h·U_h + b_rh)`) instead of the state before it (`(r ⊙ h)·U_h`), with
 * two bias vectors, the input one and the recurrent one, stored as Keras stores them: one `[2, 3·units]` variable.
 * tfjs computes only `reset_after=False` (its GRUCell throws on the option), so Keras 3 models need this to load.
 *
 * The tfjs `GRU` class with its cell swapped when `resetAfter` is on; `getClassName()` stays 'GRU' and the config
 * gains `reset_after: true`, as Keras writes it. With `resetAfter` off it is tfjs's GRU unchanged. A saved model with
 * `reset_after: true` loads in dl (dl-layer-classes.ts); plain TF.js refuses it (its GRUCell throws) rather than
 * computing something else. Plain tfjs ops, so tfjs derives the gradients and graph execution (graph/) traces it.
 */
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { TfWithLayers } from '../tfjs-layers-api.js';
import { nativeDropout, nativeDropoutAvailable } from './native-dropout.js';
import { tfjsLayerClass } from './tfjs-layer-class.js';

type GRULayer = ReturnType<TfWithLayers['layers']['gru']>;
type GRUCellLayer = ReturnType<TfWithLayers['layers']['gruCell']>;
type Kwargs = Parameters<GRULayer['call']>[1];

/** tfjs's GRU options with Keras's `resetAfter` (Keras: `reset_after`), which tfjs's GRU does not take. */
export type ResetAfterGRULayerArgs = Parameters<TfWithLayers['layers']['gru']>[0] & {
  /** Keras's `reset_after`: apply the reset gate after the recurrent matmul, with a second (recurrent) bias. */
  resetAfter?: boolean;
};
type CellArgs = Parameters<TfWithLayers['layers']['gruCell']>[0];

/** The dropout masks of one call of the layer (made by the layer: a cell that kept them would outlive a traced step). */
interface Masks {
  input: Tensor | null;
  recurrent: Tensor | null;
}

const GRUBase = tfjsLayerClass<ResetAfterGRULayerArgs, GRULayer>('GRU');
const GRUCellBase = tfjsLayerClass<CellArgs, GRUCellLayer>('GRUCell');

/** tfjs's GRUCell computing Keras's reset_after=True step (Keras 3's gru.py, implementation 2). */
class ResetAfterGRUCell extends GRUCellBase {
  /** Set by ResetAfterGRU for the duration of one call. */
  masks: Masks | null = null;

  constructor(args: CellArgs) {
    // tfjs's GRUCell throws on resetAfter; this class is what computes it.
    super({ ...args, resetAfter: false });
  }

  override build(inputShape: number[] | number[][]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as number[];
    const inputDim = shape[shape.length - 1]!;
    const units = this.units;
    this.kernel = this.addWeight(
      'kernel',
      [inputDim, 3 * units],
      undefined,
      this.kernelInitializer,
      this.kernelRegularizer,
      true,
      this.kernelConstraint,
    );
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [units, 3 * units],
      undefined,
      this.recurrentInitializer,
      this.recurrentRegularizer,
      true,
      this.recurrentConstraint,
    );
    // Row 0: the input bias, row 1: the recurrent bias (Keras's layout).
    if (this.useBias) {
      this.bias = this.addWeight('bias', [2, 3 * units], undefined, this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    } else {
      (this as { bias: unknown }).bias = null;
    }
    this.built = true;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor[] {
    return tf.tidy(() => {
      const [input, state] = inputs as Tensor[];
      let x = input as Tensor2D;
      let h = state as Tensor2D;
      if (this.masks?.input) x = tf.mul(x, this.masks.input);
      const hIn = this.masks?.recurrent ? tf.mul(h, this.masks.recurrent) : h;
      let matrixX = tf.matMul(x, this.kernel.read() as Tensor2D);
      let matrixInner = tf.matMul(hIn, this.recurrentKernel.read() as Tensor2D);
      if (this.useBias) {
        const [inputBias, recurrentBias] = tf.unstack(this.bias.read());
        matrixX = tf.add(matrixX, inputBias!);
        matrixInner = tf.add(matrixInner, recurrentBias!);
      }
      const [xZ, xR, xH] = tf.split(matrixX, 3, 1);
      const [recurrentZ, recurrentR, recurrentH] = tf.split(matrixInner, 3, 1);
      const z = this.recurrentActivation.apply(tf.add(xZ!, recurrentZ!));
      const r = this.recurrentActivation.apply(tf.add(xR!, recurrentR!));
      const hh = this.activation.apply(tf.add(xH!, tf.mul(r, recurrentH!)));
      // Keras mixes the unmasked previous state: h = z·h₋₁ + (1 − z)·hh.
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
      return [h, h];
    });
  }

  override getConfig() {
    return { ...super.getConfig(), resetAfter: true };
  }
}

export class ResetAfterGRU extends GRUBase {
  /** Whether this GRU computes Keras's reset_after=True variant (tfjs's own GRU otherwise). */
  readonly resetAfter: boolean;

  constructor(args: ResetAfterGRULayerArgs) {
    const { resetAfter = false, ...rest } = args;
    super(rest);
    this.resetAfter = resetAfter;
    // Before the layer is built, nothing holds the cell tfjs made but this layer.
    if (resetAfter) (this as { cell: unknown }).cell = new ResetAfterGRUCell(rest as CellArgs);
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    if (!this.resetAfter) return super.call(inputs, kwargs);
    const cell = this.cell as unknown as ResetAfterGRUCell;
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor;
      const training = kwargs?.training === true;
      // One mask per call for the inputs and one for the state, as Keras 3 (the same mask at every step).
      const mask = (rate: number, shape: number[]) => (training && rate > 0 && rate < 1 ? dropoutMask(rate, shape) : null);
      cell.masks = {
        input: mask(cell.dropout, [x.shape[0]!, x.shape[x.shape.length - 1]!]),
        recurrent: mask(cell.recurrentDropout, [x.shape[0]!, cell.units]),
      };
      try {
        return super.call(inputs, kwargs);
      } finally {
        cell.masks = null;
      }
    });
  }
}

/** Ones with a `rate` fraction zeroed and the rest 1/(1 − rate): TensorFlow's random kernel when native (graph-safe). */
function dropoutMask(rate: number, shape: number[]): Tensor {
  const ones = tf.ones(shape);
  return nativeDropoutAvailable() ? nativeDropout(ones, rate) : tf.dropout(ones, rate);
}
