/**
 * What library code tells a traced function (graph-function.ts) about work that must stay on the host.
 *
 * A traced step replays TensorFlow ops only: JavaScript in the step does not run again. Values the host computes
 * anew for every step (random seeds, Adam's bias corrections from the step count) are declared with `hostTensors`,
 * so each call computes them afresh and feeds them in; host bookkeeping around a step with `beforeEachCall` and
 * `afterEachCall`. Outside tracing these simply run in place, so code using them behaves the same eagerly.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

/** The recorder of the trace being taken, when one is. */
export interface HookRecorder {
  feed(compute: () => Tensor[]): Tensor[];
  before(run: () => void): void;
  after(run: () => void): void;
}

let recorder: HookRecorder | null = null;

/** Set by graph-function.ts for the duration of a trace. */
export function setHookRecorder(r: HookRecorder | null): void {
  recorder = r;
}

/** Whether a step is being traced into a graph now (ops that run better unrolled in a graph check this). */
export function isTracing(): boolean {
  return recorder !== null;
}

/** Tensors computed on the host for each step (e.g. random seeds); a traced step takes fresh ones at every call. */
export function hostTensors(compute: () => Tensor[]): Tensor[] {
  return recorder ? recorder.feed(compute) : compute();
}

/** Host work that must precede each step's ops (e.g. refreshing state written from outside); runs now too. */
export function beforeEachCall(run: () => void): void {
  if (recorder) recorder.before(run);
  else run();
}

/** Host bookkeeping after each step (e.g. counting it); runs now too. */
export function afterEachCall(run: () => void): void {
  if (recorder) recorder.after(run);
  else run();
}

/**
 * Native tensors that live outside tfjs (TensorFlow resource variables) and that traced steps may use: a traced
 * function captures them by handle, and is dropped when one of them is released.
 */
const resources = new Set<number>();

export function registerResource(id: number): void {
  resources.add(id);
}

export function releaseResource(id: number): void {
  resources.delete(id);
}

export function isResource(id: number): boolean {
  return resources.has(id);
}
