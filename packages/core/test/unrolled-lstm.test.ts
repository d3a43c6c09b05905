// The LSTM traced steps record (unrolled, hand-written backward) against the fused BlockLSTM kernels, and an LSTM
// model trained as a graph against the same model trained eagerly.
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layers, sequential, setSeed, tf, type GraphFunction } from '../src/index.js';
import { fusedLstm, type FusedLstmOptions } from '../src/native/fused-lstm.js';
import { unrolledLstm } from '../src/graph/unrolled-lstm.js';
import { maxAbsDiff } from './helpers.js';

const [BATCH, STEPS, INPUT, UNITS] = [3, 5, 4, 6];

type Lstm = typeof fusedLstm;

/** Outputs, and gradients of a random projection of them, for every argument. */
function outputsAndGradients(lstm: Lstm, args: Variable[], withBias: boolean, withState: boolean, options: FusedLstmOptions): Tensor[] {
  const call = () => {
    const [x, kernel, recurrentKernel, ...rest] = args;
    const bias = withBias ? (rest.shift() as Tensor1D) : null;
    const state = withState ? ([rest[0], rest[1]] as [Tensor2D, Tensor2D]) : null;
    return lstm(x as Tensor3D, { kernel: kernel as Tensor2D, recurrentKernel: recurrentKernel as Tensor2D, bias }, state, options);
  };
  const outputs = call();
  const { value, grads } = tf.variableGrads(
    () => tf.addN(call().map((o, i) => tf.sum(tf.mul(o, tf.randomNormal(o.shape, 0, 1, 'float32', 50 + i))))) as Scalar,
    args,
  );
  value.dispose();
  return [...outputs, ...args.map((a) => grads[a.name]!)];
}

describe('unrolled LSTM', () => {
  const modes: FusedLstmOptions[] = [{}, { returnSequences: true }, { returnState: true }, { returnSequences: true, returnState: true }];
  for (const options of modes) {
    for (const [withBias, withState] of [
      [true, false],
      [true, true],
      [false, false],
    ] as const) {
      it(`equals the fused kernels, outputs and gradients (${JSON.stringify(options)}, bias ${withBias}, initial state ${withState})`, () => {
        const v = (shape: number[], seed: number) => tf.variable(tf.randomNormal(shape, 0, 0.5, 'float32', seed));
        const args = [v([BATCH, STEPS, INPUT], 1), v([INPUT, 4 * UNITS], 2), v([UNITS, 4 * UNITS], 3)];
        if (withBias) args.push(v([4 * UNITS], 4));
        if (withState) args.push(v([BATCH, UNITS], 5), v([BATCH, UNITS], 6));
        const fused = outputsAndGradients(fusedLstm, args, withBias, withState, options);
        const unrolled = outputsAndGradients(unrolledLstm, args, withBias, withState, options);
        expect(unrolled.map((t) => t.shape)).toEqual(fused.map((t) => t.shape));
        unrolled.forEach((t, i) => expect(maxAbsDiff(t, fused[i]!)).toBeLessThan(1e-5));
        tf.dispose([...args, ...fused, ...unrolled]);
      });
    }
  }

  it('is what an LSTM model trained as a graph runs, with the results of eager training on the fused kernels', async () => {
    const train = async () => {
      setSeed(9);
      const model = sequential([
        layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 20 }),
        layers.lstm({ units: 5 }),
        layers.dense({ units: 1, activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const x = tf.tidy(() => tf.cast(tf.floor(tf.randomUniform([96, 20], 0, 50, 'float32', 3)), 'int32'));
      const y = tf.tidy(() => tf.cast(tf.greater(tf.sum(x, 1), 490), 'float32'));
      const history = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
      tf.dispose([x, y]);
      const steps = [...(model as unknown as { trainFunctions: Map<string, GraphFunction> }).trainFunctions.values()][0]!;
      return {
        losses: history.history['loss'] as number[],
        weights: model.net.getWeights().map((w) => tf.clone(w)),
        calls: steps.calls,
        ops: steps.graphOps,
        executor: steps.executor,
      };
    };
    const graph = await train();
    expect(graph.calls.graph).toBeGreaterThan(graph.calls.eager);
    expect(graph.ops).toContain('LSTMBlockCellGrad');
    expect(graph.ops).not.toContain('BlockLSTMV2');
    // 20 steps: most of its ops form one chain (executor-choice.ts), and TensorFlow's single-threaded executor runs it.
    expect(graph.executor).toBe('SINGLE_THREADED_EXECUTOR');
    process.env['DL_GRAPH'] = '0';
    const eager = await train().finally(() => delete process.env['DL_GRAPH']);
    expect(eager.calls.graph).toBe(0);
    graph.losses.forEach((loss, i) => expect(loss).toBeCloseTo(eager.losses[i]!, 5));
    graph.weights.forEach((w, i) => expect(maxAbsDiff(w, eager.weights[i]!)).toBeLessThan(1e-5));
    tf.dispose([...graph.weights, ...eager.weights]);
  });
});
