// Which executor runs a traced step's graph (graph/executor-choice.ts): the single-threaded one when most ops form one
// dependency chain, TensorFlow's default when independent branches can run side by side; same results either way.
import type { Tensor } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { chainFraction, executorFor, SINGLE_THREADED_EXECUTOR } from '../src/graph/executor-choice.js';
import type { RecordedOp, Ref } from '../src/graph/step-trace.js';
import { GraphFunction, tf } from '../src/index.js';

const op = (inputs: Ref[], touchesResource = false): RecordedOp => ({
  op: 'Op',
  attrs: [],
  inputs,
  numOutputs: 1,
  outputDtypes: [1],
  touchesResource,
});
const out = (k: number): Ref => ({ op: k, output: 0 });

describe('executor choice', () => {
  it('measures the longest dependency chain, resource ops kept in their recorded order', () => {
    // 0 → 1 → 2 → 3: one chain.
    expect(chainFraction([op([{ arg: 0 }]), op([out(0)]), op([out(1)]), op([out(2)])])).toBe(1);
    // Two independent chains of two ops each, joined by a fifth: longest chain 3 of 5.
    const branches = [op([{ arg: 0 }]), op([out(0)]), op([{ arg: 0 }]), op([out(2)]), op([out(1), out(3)])];
    expect(chainFraction(branches)).toBeCloseTo(3 / 5);
    expect(executorFor(branches)).toBe('');
    // Four independent ops on resources run in recorded order: a chain of four.
    const updates = Array.from({ length: 4 }, () => op([{ arg: 0 }, { const: 0 }], true));
    expect(chainFraction(updates)).toBe(1);
    expect(executorFor(updates)).toBe(SINGLE_THREADED_EXECUTOR);
    // Without the resource order, the same four ops are independent.
    expect(chainFraction(updates.map((u) => ({ ...u, touchesResource: false })))).toBe(1 / 4);
  });

  it('runs a chain of ops on the single-threaded executor on the calling thread and independent branches on the default one, with the same results', () => {
    const run = (fn: GraphFunction, x: Tensor) => {
      const results = Array.from({ length: 5 }, () => fn.run([x]));
      expect(fn.calls.graph).toBe(2);
      const values = results.map((r) => r.map((t) => Array.from(t.dataSync())));
      tf.dispose(results.flat());
      return values;
    };
    const x = tf.tensor1d([-2, -0.5, 0.5, 3]);
    const chain = new GraphFunction(([v]) => [tf.relu(tf.add(tf.mul(tf.exp(v!), 2), 1))]);
    const chainValues = run(chain, x);
    expect(chain.executor).toBe(SINGLE_THREADED_EXECUTOR);
    // On the calling thread: through StatefulPartitionedCall, its argument and result types declared.
    expect(chain.callOp).toBe('StatefulPartitionedCall');
    const expected = [-2, -0.5, 0.5, 3].map((v) => Math.max(0, Math.exp(v) * 2 + 1));
    for (const [y] of chainValues) y!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));

    // Three independent branches of three ops each.
    const branches = new GraphFunction(([v]) => [
      tf.exp(tf.mul(tf.add(v!, 1), 2)),
      tf.tanh(tf.sub(tf.mul(v!, 3), 1)),
      tf.sigmoid(tf.div(tf.abs(v!), 4)),
    ]);
    const branchValues = run(branches, x);
    expect(branches.executor).toBe('');
    expect(branches.callOp).toMatch(/^dl_/);
    const eager = [tf.exp(tf.mul(tf.add(x, 1), 2)), tf.tanh(tf.sub(tf.mul(x, 3), 1)), tf.sigmoid(tf.div(tf.abs(x), 4))];
    for (const ys of branchValues) ys.forEach((y, k) => y.forEach((v, i) => expect(v).toBeCloseTo(eager[k]!.dataSync()[i]!, 5)));
    tf.dispose([x, ...eager]);
  });
});
