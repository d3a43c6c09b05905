/**
 * A whole LSTM sequence in one native call: TensorFlow's `BlockLSTMV2` kernel forward and `BlockLSTMGradV2` backward,
 * joined by `tf.customGrad`, instead of tfjs-layers' ~10 small ops per time step (forward and backward).
 *
 * The V2 kernels pack the gates i, f, c, o ("IFCO") — tfjs-layers' and Keras's own order — and add no forget bias,
 * so `concat([kernel, recurrentKernel])` and `bias` go in unchanged and their gradients come back unchanged.
 * (V1 `BlockLSTM` packs i, c, f, o and adds `forget_bias`.) The kernels compute sigmoid gates and tanh activations only,
 * with no dropout or masking: callers check that before choosing this path (see fused-lstm-layer.ts).
 *
 * Only the native ('tensorflow') backend has these kernels; `fusedLstmAvailable()` says whether they can run.
 */
import type { GradSaveFunc, Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { nativeBackend, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';
import { NativeError } from '../errors/native-error.js';
import { ShapeError } from '../errors/shape-error.js';

export interface FusedLstmWeights {
  /** `[inputDim, 4·units]`, gates i, f, c, o. */
  kernel: Tensor2D;
  /** `[units, 4·units]`, gates i, f, c, o. */
  recurrentKernel: Tensor2D;
  /** `[4·units]`, or null for no bias. */
  bias?: Tensor1D | null;
}

export interface FusedLstmOptions {
  /** Return every step's output `[batch, steps, units]` rather than the last one `[batch, units]`. */
  returnSequences?: boolean;
  /** Also return the final states: `[output, h, c]`. */
  returnState?: boolean;
}

let available: boolean | undefined;

/** Whether the fused kernels can run: the native backend is active and its TensorFlow has BlockLSTMV2 (probed once). */
export function fusedLstmAvailable(): boolean {
  const backend = nativeBackend();
  if (backend == null) return false;
  if (available === undefined) {
    try {
      tf.tidy(() => {
        const z = tf.zeros([1, 1]);
        const z1 = tf.zeros([1]);
        blockLstm(backend, 1, tf.zeros([1, 1, 1]), z, z, tf.zeros([2, 4]), z1, z1, z1, tf.zeros([4]));
      });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * Runs an LSTM over `x` `[batch, steps, inputDim]` with the given weights, from `initialState` `[h, c]` (zeros when
 * absent). Returns `[output]`, or `[output, h, c]` with `returnState`. Differentiable with respect to `x`, the weights
 * and the initial state. Requires `fusedLstmAvailable()`.
 */
export function fusedLstm(
  x: Tensor3D,
  weights: FusedLstmWeights,
  initialState: [Tensor2D, Tensor2D] | null = null,
  options: FusedLstmOptions = {},
): Tensor[] {
  const backend = nativeBackend();
  if (backend == null) throw new NativeError(`fusedLstm needs the native 'tensorflow' backend; the active backend is '${tf.getBackend()}'`);
  const { kernel, recurrentKernel } = weights;
  const bias = weights.bias ?? null;
  if (x.rank !== 3) throw new ShapeError(`fusedLstm: x must be [batch, steps, features], got shape [${x.shape}]`);
  const [batch, steps, inputDim] = x.shape;
  const units = recurrentKernel.shape[0];
  if (steps < 1) throw new ShapeError('fusedLstm: x has no time steps');
  if (kernel.shape[0] !== inputDim || kernel.shape[1] !== 4 * units || recurrentKernel.shape[1] !== 4 * units) {
    throw new ShapeError(
      `fusedLstm: kernel [${kernel.shape}] / recurrentKernel [${recurrentKernel.shape}] do not fit ${inputDim} inputs and ${units} units`,
    );
  }

  const inputs: Tensor[] = [x, kernel, recurrentKernel];
  if (bias != null) inputs.push(bias);
  if (initialState != null) inputs.push(...initialState);

  const op = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const save = args[args.length - 1] as GradSaveFunc;
    const tensors = args.slice(0, -1) as Tensor[];
    const [xIn, k, rk] = tensors as [Tensor3D, Tensor2D, Tensor2D];
    let next = 3;
    const b = bias != null ? (tensors[next++] as Tensor1D) : tf.zeros([4 * units]);
    const h0 = initialState != null ? (tensors[next++] as Tensor2D) : tf.zeros([batch, units]);
    const c0 = initialState != null ? (tensors[next++] as Tensor2D) : tf.zeros([batch, units]);

    const xT = tf.transpose(xIn, [1, 0, 2]); // time-major, as the kernel wants
    const w = tf.concat([k, rk], 0);
    const peephole = tf.zeros([units]);
    const outs = blockLstm(backend, steps, xT, c0, h0, w, peephole, peephole, peephole, b);
    const [, cs, , , , , h] = outs as [Tensor3D, Tensor3D, Tensor3D, Tensor3D, Tensor3D, Tensor3D, Tensor3D];
    save([xT, w, b, h0, c0, ...outs]);

    const lastStep = (t: Tensor3D) => tf.reshape(tf.slice(t, [steps - 1, 0, 0], [1, batch, units]), [batch, units]);
    const value = packLstmOutputs({ sequence: () => tf.transpose(h, [1, 0, 2]), h: () => lastStep(h), c: () => lastStep(cs) }, options);

    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [sxT, sw, sb, sh0, sc0, ...fwd] = saved as [Tensor3D, Tensor2D, Tensor1D, Tensor2D, Tensor2D, ...Tensor3D[]];
      // Gradient on one [batch, units] step, placed at the last of `steps` time-major steps.
      const atLastStep = (g: Tensor) =>
        tf.pad(tf.reshape(g, [1, batch, units]), [
          [steps - 1, 0],
          [0, 0],
          [0, 0],
        ]);
      const g = unpackLstmGradient(dy, [batch, steps, units], options);
      const hGrad = g.sequence ? tf.transpose(g.sequence, [1, 0, 2]) : atLastStep(g.h!);
      const csGrad = g.c ? atLastStep(g.c) : tf.zeros([steps, batch, units]);
      const zp = tf.zeros([units]);
      const [xGrad, csPrevGrad, hPrevGrad, wGrad, wciGrad, wcfGrad, wcoGrad, bGrad] = blockLstmGrad(backend, steps, [
        sxT,
        sc0,
        sh0,
        sw,
        zp,
        zp,
        zp,
        sb,
        ...fwd,
        csGrad,
        hGrad,
      ]) as [Tensor3D, Tensor2D, Tensor2D, Tensor2D, Tensor1D, Tensor1D, Tensor1D, Tensor1D];
      tf.dispose([wciGrad, wcfGrad, wcoGrad, zp, hGrad, csGrad]);
      const grads: Tensor[] = [
        tf.transpose(xGrad, [1, 0, 2]),
        tf.slice(wGrad, [0, 0], [inputDim, 4 * units]),
        tf.slice(wGrad, [inputDim, 0], [units, 4 * units]),
      ];
      tf.dispose([xGrad, wGrad]);
      if (bias != null) grads.push(bGrad);
      else bGrad.dispose();
      if (initialState != null) grads.push(hPrevGrad, csPrevGrad);
      else tf.dispose([hPrevGrad, csPrevGrad]);
      return grads;
    };
    return { value, gradFunc };
  });

  return tf.tidy(() => unpackLstmOutputs(op(...inputs), [batch, steps, units], options));
}

/*
 * A custom gradient returns one tensor, so an LSTM's outputs travel packed in one, by `returnSequences` /
 * `returnState`: the last h `[batch, units]`; every h `[batch, steps, units]`; the last h and c `[batch, 2, units]`;
 * every h, then the last c `[batch, steps + 1, units]`. Shared by this LSTM and the unrolled one (graph/).
 */

/** The packed value, from what the options ask for (each part computed only when needed). */
export function packLstmOutputs(parts: { sequence: () => Tensor; h: () => Tensor; c: () => Tensor }, options: FusedLstmOptions): Tensor {
  if (!options.returnState) return options.returnSequences ? parts.sequence() : parts.h();
  if (options.returnSequences) return tf.concat([parts.sequence(), tf.expandDims(parts.c(), 1)], 1);
  return tf.stack([parts.h(), parts.c()], 1);
}

/** The gradient of the packed value: of every h `[batch, steps, units]` or of the last h, and of the last c if any. */
export function unpackLstmGradient(
  dy: Tensor,
  [batch, steps, units]: [number, number, number],
  options: FusedLstmOptions,
): { sequence: Tensor3D | null; h: Tensor2D | null; c: Tensor2D | null } {
  const step = (t: number) => tf.reshape(tf.slice(dy, [0, t, 0], [batch, 1, units]), [batch, units]) as Tensor2D;
  if (!options.returnState)
    return options.returnSequences ? { sequence: dy as Tensor3D, h: null, c: null } : { sequence: null, h: dy as Tensor2D, c: null };
  if (options.returnSequences) return { sequence: tf.slice(dy, [0, 0, 0], [batch, steps, units]) as Tensor3D, h: null, c: step(steps) };
  return { sequence: null, h: step(0), c: step(1) };
}

/** The layer's outputs from the packed value: `[output]`, or `[output, h, c]` with `returnState`. */
export function unpackLstmOutputs(packed: Tensor, [batch, steps, units]: [number, number, number], options: FusedLstmOptions): Tensor[] {
  if (!options.returnState) return [packed];
  const step = (t: number) => tf.reshape(tf.slice(packed, [0, t, 0], [batch, 1, units]), [batch, units]);
  if (options.returnSequences) return [tf.slice(packed, [0, 0, 0], [batch, steps, units]), step(steps - 1), step(steps)];
  const h = step(0);
  // As tfjs-layers' RNN: the output and the h state are the same tensor.
  return [h, h, step(1)];
}

/** BlockLSTMV2 over `steps` steps; returns i, cs, f, o, ci, co, h, each `[steps, batch, units]`. */
function blockLstm(backend: NativeBackend, steps: number, ...inputs: Tensor[]): Tensor[] {
  const b = backend.binding;
  return execute(backend, 'BlockLSTMV2', steps, inputs, 7, [
    { name: 'cell_clip', type: b.TF_ATTR_FLOAT, value: 0 }, // ≤ 0: no clipping
    { name: 'use_peephole', type: b.TF_ATTR_BOOL, value: false },
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
  ]);
}

/** BlockLSTMGradV2; returns x, cs_prev, h_prev, w, wci, wcf, wco and b gradients. */
function blockLstmGrad(backend: NativeBackend, steps: number, inputs: Tensor[]): Tensor[] {
  const b = backend.binding;
  return execute(backend, 'BlockLSTMGradV2', steps, inputs, 8, [
    { name: 'use_peephole', type: b.TF_ATTR_BOOL, value: false },
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
  ]);
}

/** Runs a native op whose first input is the int64 scalar `seq_len_max`, the rest tfjs tensors. */
function execute(backend: NativeBackend, name: string, steps: number, inputs: Tensor[], numOutputs: number, attrs: OpAttr[]): Tensor[] {
  const b = backend.binding;
  // An int64 scalar as two little-endian int32 words (tfjs has no int64 tensors); freed right after the call.
  const seqLenMax = b.createTensor([], b.TF_INT64, new Int32Array([steps, 0]));
  try {
    return runNativeOp(backend, name, attrs, [seqLenMax, ...inputs], numOutputs);
  } finally {
    b.deleteTensor(seqLenMax);
  }
}
