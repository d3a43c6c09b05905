/**
 * A Dense layer's `x·kernel + bias` (and ReLU) as TensorFlow's 2-D `MatMul`, `BiasAdd` and `Relu` kernels, with a
 * gradient of `MatMul`s, a `Sum` and `ReluGrad`. tfjs computes every product as a batch of one (`BatchMatMulV2` between
 * two reshapes): oneDNN's batched kernel took 2.6× as long as its 2-D one on the GAN preset's 64×100 · 100×9408, and in
 * a graph TensorFlow's remapper fuses `MatMul` + `BiasAdd` + `Relu` into one kernel, as it does for Keras's Dense.
 */
import type { NamedAttrMap, NamedTensorMap, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { beforeActivation, floatTypeAttr, nativeBackend, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';

export interface NativeDenseOptions {
  /** 'relu' or 'linear'; other activations are applied to the linear output by the caller. */
  activation: 'relu' | 'linear';
}

/** Whether the native backend is active (MatMul, BiasAdd and Relu are stock TensorFlow kernels). */
export function nativeDenseAvailable(): boolean {
  return nativeBackend() !== null;
}

const KERNEL = 'DlDense';
let registered = false;

/** `activation(x·kernel + bias)` for `x` [batch, in] and `kernel` [in, out]; `bias` [out] is optional. */
export function nativeDense(x: Tensor2D, kernel: Tensor2D, bias: Tensor1D | null, options: NativeDenseOptions): Tensor2D {
  if (!registered) register();
  const inputs: NamedTensorMap = bias ? { x, kernel, bias } : { x, kernel };
  return tf.engine().runKernel(KERNEL, inputs, { ...options } as unknown as NamedAttrMap) as Tensor2D;
}

function matMul(backend: NativeBackend, a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const attrs: OpAttr[] = [
    floatTypeAttr(backend),
    { name: 'transpose_a', type: backend.binding.TF_ATTR_BOOL, value: transposeA },
    { name: 'transpose_b', type: backend.binding.TF_ATTR_BOOL, value: transposeB },
  ];
  return runNativeOp(backend, 'MatMul', attrs, [a, b])[0]!;
}

function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs }) => {
      const backend = nativeBackend()!;
      const { x, kernel, bias } = inputs as { x: Tensor; kernel: Tensor; bias?: Tensor };
      let y = matMul(backend, x, kernel, false, false);
      if (bias) {
        const z = y;
        const dataFormat: OpAttr = { name: 'data_format', type: backend.binding.TF_ATTR_STRING, value: 'NHWC' };
        y = runNativeOp(backend, 'BiasAdd', [floatTypeAttr(backend), dataFormat], [z, bias])[0]!;
        z.dispose();
      }
      if ((attrs as unknown as NativeDenseOptions).activation === 'relu') {
        const z = y;
        y = runNativeOp(backend, 'Relu', [floatTypeAttr(backend)], [z])[0]!;
        z.dispose();
      }
      return y as unknown as ReturnType<Parameters<typeof tf.registerKernel>[0]['kernelFunc']>;
    },
  });
  // A gradient per input, computed only when asked for (a network's first layer needs no input gradient).
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['x', 'kernel'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const backend = nativeBackend()!;
      const [x, kernel, y] = saved as [Tensor, Tensor, Tensor];
      const dz = beforeActivation(backend, (attrs as unknown as NativeDenseOptions).activation, dy as Tensor, y);
      return {
        x: () => matMul(backend, dz, kernel, false, true),
        kernel: () => matMul(backend, x, dz, true, false),
        bias: () => tf.sum(dz, 0),
      };
    },
  });
}
