/**
 * The LSTM a traced step (graph-function.ts) records: the recurrence unrolled into small ops, with a hand-written
 * backward pass, for TensorFlow's graph executor to run. Eagerly every op costs a JavaScript round trip, so the fused
 * BlockLSTM kernels win there (fused-lstm.ts); inside a graph an op costs microseconds, and the unrolled form does less
 * work than BlockLSTM's per-step kernels: the input projection of all steps is one large matmul, and so are the
 * weight gradients, leaving only `h·U` and the gate arithmetic inside the loop (as Keras's own LSTM on TensorFlow).
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
  const [add, mul, sigmoidGrad, tanhGrad] = ['AddV2', 'Mul', 'SigmoidGrad', 'TanhGrad'].map(binary) as [Binary, Binary, Binary, Binary];

  // tanh(x) = 2·sigmoid(2x) − 1: with the cell-gate columns of the weights doubled, one sigmoid over all four gates
  // gives every gate, and one SigmoidGrad their gradients. `scale` doubles those columns; the backward pass applies
  // it twice (chain rule through the doubled weights and the doubled pre-activation), i.e. `scale²`.
  const columnScale = (factor: number) => tf.concat([tf.ones([2 * units]), tf.fill([units], factor), tf.ones([units])]);

  const op = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const save = args[args.length - 1] as GradSaveFunc;
    const tensors = args.slice(0, -1) as Tensor[];
    const [xIn, k, rk] = tensors as [Tensor3D, Tensor2D, Tensor2D];
    let next = 3;
    const b = bias != null ? tensors[next++]! : null;
    let h: Tensor2D = initialState != null ? (tensors[next++] as Tensor2D) : tf.zeros([batch, units]);
    let c: Tensor2D = initialState != null ? (tensors[next++] as Tensor2D) : tf.zeros([batch, units]);
    const h0 = h;
    const p = probe != null ? (tensors[next++] as Tensor3D) : null;

    const scale = columnScale(2);
    const rkScaled = tf.mul(rk, scale);
    // All steps' input projections at once: [steps, batch, 4·units].
    const xT = tf.transpose(xIn, [1, 0, 2]);
    let projected = matMul(tf.reshape(xT, [steps * batch, inputDim]), tf.mul(k, scale));
    if (b != null) projected = add(projected, tf.mul(b, scale));
    if (p != null) projected = add(projected, tf.mul(tf.reshape(tf.transpose(p, [1, 0, 2]), [steps * batch, 4 * units]), scale));
    const perStep = tf.unstack(tf.reshape(projected, [steps, batch, 4 * units]));
    const saved: Tensor[] = [];
    const hs: Tensor2D[] = [];
    // Each step in a tidy of its own: run eagerly (while a step is traced) the steps' intermediates are freed as it
    // goes, as TensorFlow's executor frees them in the graph, instead of all 200 steps' living until the forward pass
    // ends (~120 MB at the lstm preset's size, the peak of its process). The graph and the values are the same.
    for (let t = 0; t < steps; t++) {
      const cPrev = c;
      const step = tf.tidy(() => {
        const gates = run('Sigmoid', [add(perStep[t]!, matMul(h, rkScaled))])[0]!;
        const [i, f, cellGate, o] = tf.split(gates, 4, 1) as Tensor2D[];
        const g = tf.sub(tf.mul(cellGate!, 2), 1) as Tensor2D;
        const cNext = add(mul(f!, cPrev), mul(i!, g));
        const tc = run('Tanh', [cNext])[0]!;
        // What each gate's gradient is multiplied by, side by side, so the backward pass needs one multiply for all four.
        const partners = tf.concat([g, cPrev, i!, tc], 1);
        return { c: cNext, h: mul(o!, tc), saved: [gates, f!, o!, tc, partners] };
      });
      c = step.c;
      h = step.h;
      saved.push(...step.saved);
      hs.push(h);
    }
    // Saved for the backward pass: x (time-major), the weights, h before every step, and per step its gates.
    save([xT, k, rk, tf.stack([h0, ...hs.slice(0, -1)]), ...saved]);

    const value = packLstmOutputs({ sequence: () => tf.stack(hs, 1), h: () => h, c: () => c }, options);

    const gradFunc = (dy: Tensor, s: Tensor[]): Tensor[] => {
      const [sxT, sk, srk, hPrev, ...perStepSaved] = s as [Tensor3D, Tensor2D, Tensor2D, Tensor3D, ...Tensor2D[]];
      // The incoming gradient as per-step gradients of h, and of the final c.
      const g = unpackLstmGradient(dy, [batch, steps, units], options);
      const dhSteps = g.sequence ? (tf.unstack(g.sequence, 1) as Tensor2D[]) : null;
      let dh = dhSteps ? dhSteps[steps - 1]! : g.h!;
      let dc = g.c;
      const scale2 = columnScale(4);
      const rkBack = tf.mul(srk, scale2);
      // Per step: the gradient of the pre-activations before the cell-gate columns' factor (folded into scale2).
      const dzs: Tensor2D[] = new Array(steps);
      for (let t = steps - 1; t >= 0; t--) {
        const [dhIn, dcIn] = [dh, dc];
        // A tidy per step, as in the forward pass.
        const step = tf.tidy(() => {
          const dhStep = t < steps - 1 && dhSteps ? add(dhIn, dhSteps[t]!) : dhIn;
          const [gates, f, o, tc, partners] = perStepSaved.slice(5 * t, 5 * t + 5) as Tensor2D[];
          let dcTotal = tanhGrad(tc!, mul(dhStep, o!));
          if (dcIn != null) dcTotal = add(dcTotal, dcIn);
          // d(i, f, cell gate, o) = (dc·g, dc·c₋₁, dc·i, dh·tanh c), through the sigmoids.
          const dz = sigmoidGrad(gates!, mul(tf.concat([dcTotal, dcTotal, dcTotal, dhStep], 1), partners!));
          return { dz, dc: mul(dcTotal, f!), dh: matMul(dz, rkBack, true) };
        });
        dzs[t] = step.dz;
        dc = step.dc;
        dh = step.dh;
      }
      // The weight gradients as single large matmuls over all steps.
      const dz = tf.reshape(tf.stack(dzs), [steps * batch, 4 * units]);
      const dx = tf.transpose(tf.reshape(matMul(dz, tf.mul(sk, scale2), true), [steps, batch, inputDim]), [1, 0, 2]);
      const grads: Tensor[] = [
        dx,
        tf.mul(tf.matMul(tf.reshape(sxT, [steps * batch, inputDim]), dz, true, false), scale2),
        tf.mul(tf.matMul(tf.reshape(hPrev, [steps * batch, units]), dz, true, false), scale2),
      ];
      // The bias gradient, a column sum, as a matmul with ones: measured 1.2 ms against 2.2 ms for the reduction.
      if (bias != null) grads.push(tf.mul(tf.reshape(matMul(tf.ones([1, steps * batch]), dz), [4 * units]), scale2));
      if (initialState != null) grads.push(dh, dc!);
      // ∂L/∂z, z unscaled: the pre-activation the probe was added to.
      if (probe != null) grads.push(tf.transpose(tf.reshape(tf.mul(dz, scale2), [steps, batch, 4 * units]), [1, 0, 2]));
      return grads;
    };
    return { value, gradFunc };
  });

  return tf.tidy(() => unpackLstmOutputs(op(...inputs), [batch, steps, units], options));
}
