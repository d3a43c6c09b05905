/**
 * Adam's flat parameters and moments as TensorFlow resource variables, updated by `ResourceApplyAdam`: TensorFlow's
 * own Adam kernel, one multithreaded pass over all three vectors, where the same update as tfjs ops takes a dozen
 * kernels, each a pass over the vector (~5× slower on the LSTM preset's 2.6 M parameters, measured).
 *
 * The resources live in TensorFlow, outside tfjs's bookkeeping (tf.memory() does not count them); `dispose` frees them.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { registerResource, releaseResource } from '../graph/step-hooks.js';
import { floatTypeAttr, runNativeOp, type NativeBackend, type OpAttr } from './native-ops.js';

export type Slot = 'params' | 'm' | 'v';

export interface AdamStep {
  learningRate: number;
  beta1: number;
  beta2: number;
  beta1Power: number;
  beta2Power: number;
  epsilon: number;
}

let nextId = 0;

export class AdamSlots {
  private readonly handles: Record<Slot, number>;

  constructor(
    private readonly backend: NativeBackend,
    readonly size: number,
  ) {
    const b = backend.binding;
    const handle = (slot: Slot): number => {
      const attrs: OpAttr[] = [
        floatTypeAttr(backend, 'dtype'),
        { name: 'shape', type: b.TF_ATTR_SHAPE, value: [size] },
        { name: 'container', type: b.TF_ATTR_STRING, value: '' },
        // Resource names are per process; a counter keeps every optimizer's apart.
        { name: 'shared_name', type: b.TF_ATTR_STRING, value: `dl_adam_${process.pid}_${nextId++}_${slot}` },
      ];
      const [out] = b.executeOp('VarHandleOp', attrs, [], 1) as Array<{ id: number }>;
      return out!.id;
    };
    this.handles = { params: handle('params'), m: handle('m'), v: handle('v') };
    // Traced steps (graph/) capture these by handle.
    for (const id of Object.values(this.handles)) registerResource(id);
  }

  /** The step's scalar inputs, in the order `apply` takes them. */
  static scalars(step: AdamStep): Tensor[] {
    return [step.beta1Power, step.beta2Power, step.learningRate, step.beta1, step.beta2, step.epsilon].map((s) => tf.scalar(s));
  }

  /** Sets a slot to `value` (flat, `[size]`). */
  assign(slot: Slot, value: Tensor): void {
    const b = this.backend.binding;
    b.executeOp(
      'AssignVariableOp',
      [floatTypeAttr(this.backend, 'dtype')],
      [this.handles[slot], ...this.backend.getInputTensorIds([value])],
      0,
    );
  }

  /** The slot's current value as a tfjs tensor (TensorFlow copies on the next update if it is still held). */
  read(slot: Slot): Tensor {
    return runNativeOp(this.backend, 'ReadVariableOp', [floatTypeAttr(this.backend, 'dtype')], [this.handles[slot]])[0]!;
  }

  /**
   * One Adam step with the flat gradient `grad`: TensorFlow's update `params -= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)`,
   * with `m`, `v` updated first. `scalars` are `AdamSlots.scalars(step)`.
   */
  apply(scalars: Tensor[], grad: Tensor): void {
    const b = this.backend.binding;
    b.executeOp(
      'ResourceApplyAdam',
      [
        floatTypeAttr(this.backend),
        { name: 'use_locking', type: b.TF_ATTR_BOOL, value: false },
        { name: 'use_nesterov', type: b.TF_ATTR_BOOL, value: false },
      ],
      [this.handles.params, this.handles.m, this.handles.v, ...this.backend.getInputTensorIds([...scalars, grad])],
      0,
    );
  }

  dispose(): void {
    const b = this.backend.binding;
    for (const id of Object.values(this.handles)) {
      releaseResource(id);
      b.executeOp('DestroyResourceOp', [{ name: 'ignore_lookup_error', type: b.TF_ATTR_BOOL, value: true }], [id], 0);
      b.deleteTensor(id);
    }
  }
}
