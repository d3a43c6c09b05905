/**
 * Records the TensorFlow ops one run of a step executes through tfjs-node, as Keras's `tf.function` traces a
 * Python function: every `executeOp` with its attributes and where its inputs came from — an earlier op, a constant
 * tfjs made from JavaScript data, a step input, a model variable, a value the host feeds (step-hooks.ts), or a
 * TensorFlow resource. The step runs normally while it is recorded.
 *
 * A trace is unusable (`problem` says why) when the step reads a tensor's value on the host, reads a tensor made
 * outside it that is none of the above, creates variables, or keeps tensors it made beyond what it returns and assigns.
 */
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { NativeBackend, OpAttr } from '../native/native-ops.js';
import type { ConstValue } from './graph-def.js';
import { isResource, setHookRecorder, type HookRecorder } from './step-hooks.js';

/** Where a value comes from: output `output` of recorded op `node`, constant `index`, or argument `index`. */
export type Ref = { op: number; output: number } | { const: number } | { arg: number };

/** A function argument: step input k, a variable's current value, host feed k, or a resource handle. */
export type Arg =
  | { kind: 'input'; index: number; dtype: number; shape: number[] }
  | { kind: 'variable'; variable: Variable; dtype: number; shape: number[] }
  | { kind: 'feed'; index: number; dtype: number; shape: number[] }
  | { kind: 'resource'; id: number };

export interface RecordedOp {
  op: string;
  attrs: OpAttr[];
  inputs: Ref[];
  numOutputs: number;
  /** TensorFlow dtype (TF_DataType) of each output. */
  outputDtypes: number[];
  /** Whether an input is a resource: such ops keep their recorded order (their effects are not data flow). */
  touchesResource: boolean;
}

/** A host hook in recorded order: a feed (producing feed tensors) or a `before`/`after` callback. */
export type Hook = { feed: () => Tensor[]; count: number } | { before: () => void } | { after: () => void };

export interface StepTrace {
  ops: RecordedOp[];
  consts: ConstValue[];
  args: Arg[];
  hooks: Hook[];
  /** What the step returned. */
  outputs: Ref[];
  /** Variables the step assigned, and their new values. */
  updates: Array<{ variable: Variable; value: Ref }>;
  problem: string | null;
}

type Binding = NativeBackend['binding'];
interface OutputInfo {
  id: number;
  dtype: number;
  shape: number[];
}

/**
 * Runs `step` on `inputs` while recording it; returns what it returned (in tidy's hands as usual) and the trace.
 */
export function traceStep(
  backend: NativeBackend,
  step: (inputs: Tensor[]) => Tensor[],
  inputs: Tensor[],
): { outputs: Tensor[]; trace: StepTrace } {
  const original = backend.binding;
  const variables = Object.values(tf.engine().registeredVariables) as Variable[];
  // Handles for everything that may become an argument, before recording starts (tfjs-node makes them lazily).
  const inputIds = new Map<number, number>();
  backend.getInputTensorIds(inputs).forEach((id, k) => inputIds.set(id, k));
  const variableIds = new Map<number, Variable>();
  const startIds = backend.getInputTensorIds(variables);
  startIds.forEach((id, k) => variableIds.set(id, variables[k]!));

  const trace: StepTrace = { ops: [], consts: [], args: [], hooks: [], outputs: [], updates: [], problem: null };
  const produced = new Map<number, Ref & { op: number }>();
  const resourceValued = new Set<number>();
  const constIds = new Map<number, number>();
  const argIds = new Map<number, number>();
  const alive = new Set<number>();
  let feeds = 0;
  let paused = false;
  const fail = (why: string) => (trace.problem ??= why);

  const argOf = (id: number, arg: Arg): Ref => {
    trace.args.push(arg);
    argIds.set(id, trace.args.length - 1);
    return { arg: trace.args.length - 1 };
  };
  /** Where a handle already seen in this trace comes from. */
  const seen = (id: number): Ref | undefined =>
    produced.get(id) ?? (constIds.has(id) ? { const: constIds.get(id)! } : argIds.has(id) ? { arg: argIds.get(id)! } : undefined);
  const refOf = (id: number, op: string): Ref => {
    const known = seen(id);
    if (known) return known;
    const info = (t: Tensor) => ({ dtype: backend.getDTypeInteger(t.dtype), shape: t.shape });
    if (inputIds.has(id)) return argOf(id, { kind: 'input', index: inputIds.get(id)!, ...info(inputs[inputIds.get(id)!]!) });
    if (variableIds.has(id)) return argOf(id, { kind: 'variable', variable: variableIds.get(id)!, ...info(variableIds.get(id)!) });
    if (isResource(id)) return argOf(id, { kind: 'resource', id });
    fail(`op ${op} reads a tensor made outside the step that is not an input, a variable or a declared host value`);
    return { const: -1 };
  };

  const recording: Binding = Object.create(original, {
    executeOp: {
      value(name: string, attrs: OpAttr[], ids: number[], numOutputs: number): OutputInfo[] {
        const out = original.executeOp(name, attrs, ids, numOutputs) as OutputInfo[];
        if (paused) return out;
        const inputRefs = ids.map((id) => refOf(id, name));
        const touchesResource = ids.some((id) => isResource(id) || resourceValued.has(id));
        trace.ops.push({
          op: name,
          attrs: structuredClone(attrs),
          inputs: inputRefs,
          numOutputs,
          outputDtypes: out.map((o) => o.dtype),
          touchesResource,
        });
        out.forEach((o, i) => {
          produced.set(o.id, { op: trace.ops.length - 1, output: i });
          if (o.dtype === original.TF_RESOURCE) resourceValued.add(o.id);
          alive.add(o.id);
        });
        return out;
      },
    },
    createTensor: {
      value(shape: number[], dtype: number, values: ArrayBufferView): number {
        const id = original.createTensor(shape, dtype, values as Float32Array);
        if (paused) return id;
        if (!ArrayBuffer.isView(values)) fail('the step makes a string tensor');
        else {
          const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
          trace.consts.push({ dtype, shape: [...shape], values: bytes });
          constIds.set(id, trace.consts.length - 1);
        }
        return id;
      },
    },
    deleteTensor: {
      value(id: number): void {
        alive.delete(id);
        original.deleteTensor(id);
      },
    },
    tensorDataSync: {
      value(id: number): unknown {
        if (!paused)
          fail(
            `the step reads a tensor value on the host (dataSync/arraySync) while it runs${process.env['DL_GRAPH_DEBUG'] === '1' ? `: ${new Error().stack}` : ''}`,
          );
        return (original as unknown as { tensorDataSync(id: number): unknown }).tensorDataSync(id);
      },
    },
  });

  const hostPaused = <T>(run: () => T): T => {
    paused = true;
    try {
      return run();
    } finally {
      paused = false;
    }
  };
  const hooks: HookRecorder = {
    feed(compute) {
      const tensors = hostPaused(() => {
        const made = compute();
        backend.getInputTensorIds(made);
        return made;
      });
      const ids = hostPaused(() => backend.getInputTensorIds(tensors));
      ids.forEach((id, k) => {
        argOf(id, { kind: 'feed', index: feeds++, dtype: backend.getDTypeInteger(tensors[k]!.dtype), shape: tensors[k]!.shape });
      });
      trace.hooks.push({ feed: compute, count: tensors.length });
      return tensors;
    },
    before(run) {
      hostPaused(run);
      trace.hooks.push({ before: run });
    },
    after(run) {
      hostPaused(run);
      trace.hooks.push({ after: run });
    },
  };

  (backend as { binding: Binding }).binding = recording;
  setHookRecorder(hooks);
  let outputs: Tensor[];
  try {
    outputs = step(inputs);
  } finally {
    (backend as { binding: Binding }).binding = original;
    setHookRecorder(null);
  }

  // What the step hands back: its outputs and the variables it assigned.
  const keep = new Set<number>();
  const endRef = (id: number, what: string): Ref => {
    keep.add(id);
    const ref = seen(id);
    if (ref) return ref;
    // An input handed back as it came.
    if (inputIds.has(id)) return refOf(id, what);
    fail(`${what} is not computed by the step`);
    return { const: -1 };
  };
  trace.outputs = backend.getInputTensorIds(outputs).map((id, k) => endRef(id, `output ${k}`));
  if (Object.keys(tf.engine().registeredVariables).length !== variables.length) fail('the step creates variables');
  const endIds = backend.getInputTensorIds(variables);
  endIds.forEach((id, k) => {
    if (id !== startIds[k]) trace.updates.push({ variable: variables[k]!, value: endRef(id, `variable ${variables[k]!.name}`) });
  });
  const leaked = [...alive].filter((id) => !keep.has(id));
  if (leaked.length) fail(`the step keeps ${leaked.length} tensor(s) it made beyond what it returns and assigns`);
  return { outputs, trace };
}
