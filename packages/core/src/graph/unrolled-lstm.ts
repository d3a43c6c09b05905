/**
 * The LSTM a traced step (graph-function.ts) records: the recurrence unrolled into small ops, with a hand-written
 * backward pass, for TensorFlow's graph executor to run. Eagerly every op costs a JavaScript round trip, so the fused
 * BlockLSTM kernels win there (fused-lstm.ts); inside a graph an op costs microseconds, and the unrolled form does less
 * work than BlockLSTM's per-step kernels: the input projection of all steps is one large matmul, and so are the
 * weight gradients, leaving only `h·U` and the gate arithmetic inside the loop (as Keras's own LSTM on TensorFlow).
 * Each backward step is TensorFlow's fused `LSTMBlockCellGrad` and one matmul: with eight small ops there instead,
 * lstm-train ran 964–1,077 samples/s against 1,211–1,254 (bench/dl/lstm-train.ts, 100 steps, alternating; AMD EPYC).
 *
 * Same arguments, results and gradients as `fusedLstm` (Keras gate order i, f, c, o; tanh and sigmoid). DP-SGD
 * (dp/dp-lstm.ts) may pass a `probe` [batch, steps, 4·units], added to every step's gate pre-activations z = x·W + h·U + b:
 * its gradient is ∂L/∂z of every step and example, from which per-example weight gradients follow.
 */
import type { GradSaveFunc, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import {
  packLstmOutputs,
  unpackLstmGradient,
  unpackLstmOutputs,
  type FusedLstmOptions,
  type FusedLstmWeights,
} from '../native/fused-lstm.js';
import { floatTypeAttr, nativeBackend, runNativeOp, type OpAttr } from '../native/native-ops.js';
import { NativeError } from '../errors/native-error.js';

type Binary = (a: Tensor, b: Tensor) => Tensor2D;

export function unrolledLstm(
  x: Tensor3D,
  weights: FusedLstmWeights,
  initialState: [Tensor2D, Tensor2D] | null = null,
  options: FusedLstmOptions = {},
  probe: Tensor3D | null = null,
): Tensor[] {
  const { kernel, recurrentKernel } = weights;
  const bias = weights.bias ?? null;
  const [batch, steps, inputDim] = x.shape;
  const units = recurrentKernel.shape[0];
  const inputs: Tensor[] = [x, kernel, recurrentKernel];
  if (bias != null) inputs.push(bias);
  if (initialState != null) inputs.push(...initialState);
  if (probe != null) inputs.push(probe);

  const backend = nativeBackend();
  if (backend === null) throw new NativeError(`unrolledLstm needs the native 'tensorflow' backend, not '${tf.getBackend()}'`);
  const T = floatTypeAttr(backend);
  const { TF_ATTR_BOOL } = backend.binding;
  // Single TensorFlow ops (their gradients are written out below, so tfjs need not differentiate them).
  const run = (name: string, xs: Tensor[], attrs: OpAttr[] = [], n = 1) => runNativeOp(backend, name, [T, ...attrs], xs, n);
  const matMul = (a: Tensor, b: Tensor, transposeB = false) =>
    run(
      'MatMul',
      [a, b],
      [
        { name: 'transpose_a', type: TF_ATTR_BOOL, value: false },
        { name: 'transpose_b', type: TF_ATTR_BOOL, value: transposeB },
      ],
    )[0] as Tensor2D;
  const binary = (name: string) => (a: Tensor, b: Tensor) => run(name, [a, b])[0] as Tensor2D;
  const [add, mul] = ['AddV2', 'Mul'].map(binary) as [Binary, Binary];

  // tanh(x) = 2·sigmoid(2x) − 1: with the cell-gate columns of the weights doubled, one sigmoid over all four gates
  // gives every gate. The gates are computed in TensorFlow's LSTM-cell order i, c, f, o (`icfo`, weights reordered
  // once per call) so that the backward pass of a step is one `LSTMBlockCellGrad` (the fused kernel of TensorFlow's
  // own LSTM cell) and one matmul, instead of eight small ops: in a graph, the executor's per-op cost is most of a step.
  const zeros = (rows: number, columns: number): Tensor2D => tf.zeros([rows, columns]);

  const op = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const save = args[args.length - 1] as GradSaveFunc;
    const tensors = args.slice(0, -1) as Tensor[];
    const [xIn, k, rk] = tensors as [Tensor3D, Tensor2D, Tensor2D];
    let next = 3;
    const b = bias != null ? tensors[next++]! : null;
    let h: Tensor2D = initialState != null ? (tensors[next++] as Tensor2D) : zeros(batch, units);
    let c: Tensor2D = initialState != null ? (tensors[next++] as Tensor2D) : zeros(batch, units);
    const p = probe != null ? (tensors[next++] as Tensor3D) : null;

    const rkScaled = icfo(rk, 2);
    // All steps' input projections at once: [steps, batch, 4·units].
    const xT = tf.transpose(xIn, [1, 0, 2]);
    let projected = matMul(tf.reshape(xT, [steps * batch, inputDim]), icfo(k, 2));
    if (b != null) projected = add(projected, icfo(b, 2));
    if (p != null) projected = add(projected, icfo(tf.reshape(tf.transpose(p, [1, 0, 2]), [steps * batch, 4 * units]), 2));
    const perStep = tf.unstack(tf.reshape(projected, [steps, batch, 4 * units]));
    // Per step, what LSTMBlockCellGrad reads: h and c before the step, then i, c, f, o, the cell input and tanh(c).
    const saved: Tensor[] = [];
    const hs: Tensor2D[] = [];
    // Each step in a tidy of its own: run eagerly (while a step is traced) the steps' intermediates are freed as it
    // goes, as TensorFlow's executor frees them in the graph, instead of all 200 steps' living until the forward pass
    // ends (~120 MB at the lstm preset's size, the peak of its process). The graph and the values are the same.
    for (let t = 0; t < steps; t++) {
      const [hPrev, cPrev] = [h, c];
      const step = tf.tidy(() => {
        const gates = run('Sigmoid', [add(perStep[t]!, matMul(hPrev, rkScaled))])[0]!;
        const [i, cellGate, f, o] = tf.split(gates, 4, 1) as Tensor2D[];
        const ci = tf.sub(tf.mul(cellGate!, 2), 1) as Tensor2D;
        const cs = add(mul(f!, cPrev), mul(i!, ci));
        const co = run('Tanh', [cs])[0]!;
        return { c: cs, h: mul(o!, co), saved: [i!, cs, f!, o!, ci, co] };
      });
      c = step.c;
      h = step.h;
      saved.push(hPrev, cPrev, ...step.saved);
      hs.push(h);
    }
    // Saved for the backward pass: x (time-major), the weights, and per step the cell's inputs and results.
    save([xT, k, rk, ...saved]);

    const value = packLstmOutputs({ sequence: () => tf.stack(hs, 1), h: () => h, c: () => c }, options);

    const gradFunc = (dy: Tensor, s: Tensor[]): Tensor[] => {
      const [sxT, sk, srk, ...perStepSaved] = s as [Tensor3D, Tensor2D, Tensor2D, ...Tensor2D[]];
      // The incoming gradient as per-step gradients of h, and of the final c.
      const g = unpackLstmGradient(dy, [batch, steps, units], options);
      const dhSteps = g.sequence ? (tf.unstack(g.sequence, 1) as Tensor2D[]) : null;
      let dh = dhSteps ? dhSteps[steps - 1]! : g.h!;
      let dc = g.c ?? zeros(batch, units);
      const rkBack = icfo(srk, 1);
      // LSTMBlockCellGrad takes the cell's x, weights and peephole weights for their shapes only (no peepholes here,
      // the input projection is done above): an empty x and zeros of the right shapes.
      const [noInput, peephole, noBias] = [zeros(batch, 0), tf.zeros([units]), tf.zeros([4 * units])];
      // Per step: the gradient of the gate pre-activations (i, c, f, o).
      const dzs: Tensor2D[] = new Array(steps);
      for (let t = steps - 1; t >= 0; t--) {
        const [dhIn, dcIn] = [dh, dc];
        // A tidy per step, as in the forward pass.
        const step = tf.tidy(() => {
          const dhStep = t < steps - 1 && dhSteps ? add(dhIn, dhSteps[t]!) : dhIn;
          const [hPrev, cPrev, i, cs, f, o, ci, co] = perStepSaved.slice(8 * t, 8 * t + 8) as Tensor2D[];
          const [dcPrev, dz] = run(
            'LSTMBlockCellGrad',
            [noInput, cPrev!, hPrev!, rkBack, peephole, peephole, peephole, noBias, i!, cs!, f!, o!, ci!, co!, dcIn, dhStep],
            [{ name: 'use_peephole', type: TF_ATTR_BOOL, value: false }],
            5,
          ) as Tensor2D[];
          return { dz: dz!, dc: dcPrev!, dh: matMul(dz!, rkBack, true) };
        });
        dzs[t] = step.dz;
        dc = step.dc;
        dh = step.dh;
      }
      // The weight gradients as single large matmuls over all steps, then back to Keras's gate order.
      const dz = tf.reshape(tf.stack(dzs), [steps * batch, 4 * units]);
      const hPrev = tf.stack(perStepSaved.filter((_, j) => j % 8 === 0));
      const dx = tf.transpose(tf.reshape(matMul(dz, icfo(sk, 1), true), [steps, batch, inputDim]), [1, 0, 2]);
      const grads: Tensor[] = [
        dx,
        ifco(tf.matMul(tf.reshape(sxT, [steps * batch, inputDim]), dz, true, false)),
        ifco(tf.matMul(tf.reshape(hPrev, [steps * batch, units]), dz, true, false)),
      ];
      // The bias gradient, a column sum, as a matmul with ones: measured 1.2 ms against 2.2 ms for the reduction.
      if (bias != null) grads.push(ifco(tf.reshape(matMul(tf.ones([1, steps * batch]), dz), [4 * units])));
      if (initialState != null) grads.push(dh, dc);
      // ∂L/∂z: the pre-activation the probe was added to.
      if (probe != null) grads.push(tf.transpose(tf.reshape(ifco(dz), [steps, batch, 4 * units]), [1, 0, 2]));
      return grads;
    };
    return { value, gradFunc };
  });

  return tf.tidy(() => unpackLstmOutputs(op(...inputs), [batch, steps, units], options));
}

/** Keras's gate order (i, f, c, o) along the last axis → i, c, f, o, the cell-gate block multiplied by `cellFactor`. */
function icfo<T extends Tensor>(m: T, cellFactor: number): T {
  const [i, f, c, o] = tf.split(m, 4, -1);
  return tf.concat([i!, cellFactor === 1 ? c! : tf.mul(c!, cellFactor), f!, o!], -1) as T;
}

/** i, c, f, o along the last axis → Keras's i, f, c, o. */
function ifco<T extends Tensor>(m: T): T {
  const [i, c, f, o] = tf.split(m, 4, -1);
  return tf.concat([i!, f!, c!, o!], -1) as T;
}
