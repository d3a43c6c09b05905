/**
 * Which TensorFlow executor runs a traced step's graph function (the call's `executor_type`).
 *
 * TensorFlow's default executor hands ready ops to its inter-op threads, so independent branches (a layer's weight
 * gradient and its input gradient) run side by side. A graph whose ops mostly form one dependency chain has little to
 * run side by side, and each hand-off between threads costs more than a small op: the unrolled LSTM's ~4,000 ops
 * (≈ 83% of them on the longest chain) or a Sequential model's forward pass (100%). Those run on the single-threaded
 * executor, which runs the ops one after another in the calling thread; large ops still split over the intra-op threads.
 *
 * Measured on 2 cores (in-process A/Bs alternating the two executors; CPU time, as the machine was busy): lstm-train
 * 894 → 764 ms per 10 steps and cnn-infer 291 → 281 ms per 20 batches with the single-threaded executor, while
 * cnn-train (52% of its ops on the longest chain) 108 → 114 ms and gan-train (26%) 1244 → 1354 ms are better on the
 * default one.
 */
import type { StepTrace } from './step-trace.js';

/** The share of a graph's ops on its longest dependency chain from which the single-threaded executor runs it. */
export const CHAIN_FRACTION = 2 / 3;

export const SINGLE_THREADED_EXECUTOR = 'SINGLE_THREADED_EXECUTOR';

/**
 * The share of the trace's ops on its longest dependency chain: data inputs, and the recorded order of ops on resources
 * (graph-function.ts chains them with control dependencies).
 */
export function chainFraction(ops: StepTrace['ops']): number {
  if (ops.length === 0) return 0;
  const depth: number[] = [];
  let lastEffect = -1;
  let longest = 0;
  ops.forEach((o, i) => {
    let before = 0;
    for (const ref of o.inputs) if ('op' in ref) before = Math.max(before, depth[ref.op]!);
    if (o.touchesResource) {
      if (lastEffect >= 0) before = Math.max(before, depth[lastEffect]!);
      lastEffect = i;
    }
    depth.push(before + 1);
    longest = Math.max(longest, before + 1);
  });
  // A running maximum: spreading a graph's depths into Math.max overflows the call stack past ~100,000 ops.
  return longest / ops.length;
}

/** The `executor_type` for the trace's function: '' (TensorFlow's default) or the single-threaded executor. */
export function executorFor(ops: StepTrace['ops']): string {
  return chainFraction(ops) >= CHAIN_FRACTION ? SINGLE_THREADED_EXECUTOR : '';
}
