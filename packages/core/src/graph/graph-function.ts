/**
 * A step (a training or inference step over tfjs ops) run as one TensorFlow graph function, as Keras runs its steps
 * through `tf.function`: each tfjs op costs tens of microseconds of JavaScript and binding overhead, a graph runs all
 * of them from C++ in one call, on TensorFlow's graph executor with its graph optimizations (Grappler).
 *
 * On the native backend, for each input signature (shapes and dtypes): the step runs eagerly while it is traced
 * (step-trace.ts) until two consecutive traces agree, the third call at the earliest — the first call may create
 * optimizer state, later ones repeat —
 * then the trace becomes a GraphDef, registered as a function in TensorFlow's eager context, and every later call
 * runs it: the host hooks (step-hooks.ts), one `executeOp` of the function on the current inputs, variables and host
 * values, then the variables take their new values. A step that cannot be traced (it reads values on the host, say)
 * keeps running eagerly, as does everything on other backends or with `DL_GRAPH=0`.
 *
 * As with `tf.function`, JavaScript in the step runs only while tracing: once compiled, a branch on something other
 * than the inputs' shapes (a flag flipped later) is not seen again; such values belong in `hostTensors`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import { setupCommand, TF_ATTR_FUNC } from '@dl/native';
import { nativeCapabilities, tf } from '../backend.js';
import { nativeBackend, type NativeBackend, type OpAttr } from '../native/native-ops.js';
import { encodeGraphDef, type GraphNode } from './graph-def.js';
import { isResource } from './step-hooks.js';
import { executorFor, SINGLE_THREADED_EXECUTOR } from './executor-choice.js';
import { traceStep, type Arg, type Ref, type StepTrace } from './step-trace.js';

/** Traces that may disagree before a signature gives up and stays eager (a step that changes every call). */
const MAX_TRACES = 4;
/**
 * Traces before compiling, at the least: the first call may create state (an optimizer's, whether new or restored
 * from a checkpoint), so the second and third are compared. Always three, so the steps that run eagerly are the same
 * in a fresh, a continued and a resumed run.
 */
const MIN_TRACES = 3;
let functionCount = 0;

interface Signature {
  traces: number;
  previous?: string;
  compiled?: Compiled;
  /** Why this signature runs eagerly for good. */
  eagerReason?: string;
}

interface Compiled {
  name: string;
  trace: StepTrace;
  /** Whether the function has the extra `effects` output (the step touches a resource), which replay drops. */
  effects: boolean;
  /** The op that runs the function, its attributes, and whether it runs on the calling thread (see `functionCall`). */
  call: { op: string; attrs: OpAttr[]; inline: boolean };
}

export class GraphFunction {
  private readonly signatures = new Map<string, Signature>();
  /** Registered function names by canonical trace: a retrace that finds the same graph reuses its function. */
  private readonly registered = new Map<string, string>();
  /** Calls run as a graph and eagerly (tracing included), for tests and benchmarks. */
  readonly calls = { graph: 0, eager: 0 };

  /** `step` maps input tensors to output tensors; it may assign variables and use step-hooks.ts. */
  constructor(
    private readonly step: (inputs: Tensor[]) => Tensor[],
    readonly label = 'step',
  ) {}

  /** Why the last signature called runs eagerly, if it does for good. */
  get eagerReason(): string | undefined {
    return [...this.signatures.values()].at(-1)?.eagerReason;
  }

  /** The op types of the last signature's graph, once it has one (for tests and benchmarks). */
  get graphOps(): string[] | undefined {
    return [...this.signatures.values()].at(-1)?.compiled?.trace.ops.map((o) => o.op);
  }

  /** The executor the last signature's graph runs on, '' for TensorFlow's default (for tests and benchmarks). */
  get executor(): string | undefined {
    const attr = [...this.signatures.values()].at(-1)?.compiled?.call.attrs.find((a) => a.name === 'executor_type');
    return attr === undefined ? undefined : String(attr.value);
  }

  /**
   * The op the last signature's graph is called through: `StatefulPartitionedCall` (on the calling thread) or the
   * function's own name (see `functionCall`); for tests and benchmarks.
   */
  get callOp(): string | undefined {
    return [...this.signatures.values()].at(-1)?.compiled?.call.op;
  }

  /**
   * Makes every signature trace again from its next call, eagerly as at the start, reusing the function registered
   * for an identical trace. `fit` calls it at each epoch, so which steps run eagerly depends only on their place in the
   * epoch, never on when the process started: eager and graph kernels round differently, and a run resumed at an
   * epoch must equal the uninterrupted run bit for bit. The cost is a few eager steps per epoch.
   */
  retrace(): void {
    for (const signature of this.signatures.values()) {
      if (signature.eagerReason !== undefined) continue;
      signature.compiled = undefined;
      signature.previous = undefined;
      signature.traces = 0;
    }
  }

  /** The step's outputs on `inputs` (new tensors, the caller's to dispose). */
  run(inputs: Tensor[]): Tensor[] {
    const backend = nativeBackend();
    const eager = () => {
      this.calls.eager++;
      return this.callStep(inputs);
    };
    if (backend === null || process.env['DL_GRAPH'] === '0' || !graphFunctionsAvailable()) return eager();
    const key = inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ');
    let signature = this.signatures.get(key);
    if (!signature) this.signatures.set(key, (signature = { traces: 0 }));
    // A function that captured a resource since released (an optimizer reset by setWeights) is traced anew.
    if (signature.compiled && !signature.compiled.trace.args.every((a) => a.kind !== 'resource' || isResource(a.id))) {
      signature.compiled = undefined;
      signature.previous = undefined;
      signature.traces = 0;
    }
    if (signature.compiled) return this.replay(backend, signature.compiled, inputs);
    if (signature.eagerReason !== undefined) return eager();

    this.calls.eager++;
    signature.traces++;
    const { outputs, trace } = traceStep(backend, (xs) => this.callStep(xs), inputs);
    // The first calls may differ from the rest (an optimizer creates its state), so a problem or a change only
    // counts once it persists.
    const canonical = trace.problem === null ? canonicalTrace(trace) : undefined;
    if (canonical !== undefined && canonical === signature.previous && signature.traces >= MIN_TRACES) {
      signature.compiled = this.compile(backend, trace, canonical);
    } else if (signature.traces >= MAX_TRACES) {
      this.stayEager(signature, trace.problem ?? `its ops differ from one call to the next (${MAX_TRACES} traces)`);
    }
    signature.previous = canonical;
    return outputs;
  }

  /** The step run eagerly; outputs are new tensors even where the step hands back an input or a variable. */
  private callStep(inputs: Tensor[]): Tensor[] {
    return tf.tidy(() => this.step(inputs).map((t) => (inputs.includes(t) || t instanceof tf.Variable ? tf.clone(t) : t)));
  }

  private stayEager(signature: Signature, reason: string): void {
    signature.eagerReason = reason;
    if (process.env['DL_GRAPH_DEBUG'] === '1') process.stderr.write(`[dl graph] ${this.label} runs eagerly: ${reason}\n`);
  }

  private compile(backend: NativeBackend, trace: StepTrace, canonical: string): Compiled {
    const known = this.registered.get(canonical);
    const effects = trace.ops.some((o) => o.touchesResource);
    const call = (fn: string) => functionCall(backend, fn, trace, effects);
    if (known !== undefined) return { name: known, trace, effects, call: call(known) };
    const { TF_ATTR_TYPE, TF_ATTR_SHAPE, TF_RESOURCE, TF_INT32 } = backend.binding;
    const nodes: GraphNode[] = [];
    trace.args.forEach((a, i) => {
      const attrs: OpAttr[] =
        a.kind === 'resource'
          ? [{ name: 'dtype', type: TF_ATTR_TYPE, value: TF_RESOURCE }]
          : [
              { name: 'dtype', type: TF_ATTR_TYPE, value: a.dtype },
              { name: 'shape', type: TF_ATTR_SHAPE, value: a.shape },
            ];
      nodes.push({ name: `arg${i}`, op: 'Placeholder', inputs: [], attrs });
    });
    trace.consts.forEach((c, i) => {
      nodes.push({
        name: `const${i}`,
        op: 'Const',
        inputs: [],
        attrs: [
          { name: 'dtype', type: TF_ATTR_TYPE, value: c.dtype },
          { name: 'value', tensor: c },
        ],
      });
    });
    // Ops on resources keep their recorded order through control dependencies (as tf.function's automatic ones).
    let lastEffect: string | undefined;
    trace.ops.forEach((o, i) => {
      const inputs = o.inputs.map(endpoint);
      if (o.touchesResource) {
        if (lastEffect) inputs.push(`^${lastEffect}`);
        lastEffect = `op${i}`;
      }
      nodes.push({ name: `op${i}`, op: o.op, inputs, attrs: o.attrs });
    });
    const name = `dl_${this.label.replace(/\W/g, '_')}_${process.pid}_${functionCount++}`;
    const outputs = [...trace.outputs, ...trace.updates.map((u) => u.value)].map(endpoint);
    // Grappler keeps only what the outputs depend on: the last op on a resource (which depends on all the others
    // through the chain above) becomes an output's control input, as tf.function's control outputs do.
    if (effects) {
      nodes.push({
        name: 'effects',
        op: 'Const',
        inputs: [`^${lastEffect!}`],
        attrs: [
          { name: 'dtype', type: TF_ATTR_TYPE, value: TF_INT32 },
          { name: 'value', tensor: { dtype: TF_INT32, shape: [], values: new Int32Array(1) } },
        ],
      });
      outputs.push('effects:0');
    }
    const binding = backend.binding as unknown as {
      registerFunction(name: string, graph: Uint8Array, inputs: string[], outputs: string[]): void;
    };
    const graphDef = encodeGraphDef(nodes);
    binding.registerFunction(
      name,
      graphDef,
      trace.args.map((_, i) => `arg${i}:0`),
      outputs,
    );
    const dump = process.env['DL_GRAPH_DUMP'];
    if (dump) writeFileSync(join(dump, `${name}.pb`), graphDef);
    this.registered.set(canonical, name);
    return { name, trace, effects, call: call(name) };
  }

  private replay(backend: NativeBackend, { trace, effects, call }: Compiled, inputs: Tensor[]): Tensor[] {
    this.calls.graph++;
    const fed: Tensor[] = [];
    for (const hook of trace.hooks) {
      if ('feed' in hook) fed.push(...hook.feed());
      else if ('before' in hook) hook.before();
    }
    const ids = trace.args.map((a) => {
      switch (a.kind) {
        case 'input':
          return backend.getInputTensorIds([inputs[a.index]!])[0]!;
        case 'variable':
          return backend.getInputTensorIds([a.variable])[0]!;
        case 'feed':
          return backend.getInputTensorIds([fed[a.index]!])[0]!;
        case 'resource':
          return a.id;
      }
    });
    const n = trace.outputs.length;
    let results: Tensor[];
    const binding = backend.binding as typeof backend.binding & { setRunEagerOpAsFunction(enable: boolean): void };
    try {
      // Only this one op runs as a function: the switch is the eager context's, and eager ops stay as they were.
      if (call.inline) binding.setRunEagerOpAsFunction(true);
      try {
        results = binding
          .executeOp(call.op, call.attrs, ids, n + trace.updates.length + (effects ? 1 : 0))
          .map((m) => backend.createOutputTensor(m));
      } finally {
        if (call.inline) binding.setRunEagerOpAsFunction(false);
      }
    } finally {
      tf.dispose(fed);
    }
    if (effects) results.pop()!.dispose();
    trace.updates.forEach(({ variable }, k) => {
      variable.assign(results[n + k]!);
      results[n + k]!.dispose();
    });
    for (const hook of trace.hooks) if ('after' in hook) hook.after();
    return results.slice(0, n);
  }
}

/**
 * How a replay runs function `name`. Every call carries tf.function's attributes: TensorFlow's eager runtime runs
 * Grappler (its graph optimizer: the remapper's Conv2D + BiasAdd + Relu fusion, constant folding, …) on a function
 * only when the call has both `executor_type` and `config_proto`; an empty `config_proto` is the default ConfigProto.
 * The executor is '' for TensorFlow's default executor (executor-choice.ts).
 *
 * A function called by name runs on TensorFlow's inter-op thread pool (EagerContext's runner), on whichever of its
 * threads picks the call up. A graph on the single-threaded executor instead runs through `StatefulPartitionedCall`
 * with the eager context switched to run ops as functions for that one op: TensorFlow then runs it synchronously on
 * the calling thread. Why: its allocations under 256 KB (the unrolled LSTM's per-step tensors) come from malloc, so
 * they land in the running thread's glibc arena. Called by name, the lstm preset's training peaked at 662–711 MB
 * depending on whether one or both inter-op threads' arenas filled; on the calling thread, whose arena also holds
 * the eager tracing steps' memory, at 619–625 MB (bench/dl/lstm-train.ts, AMD EPYC, alternating runs). The price
 * was 3–5% slower LSTM steps (more time in malloc); since the LSTM's backward step is one fused kernel
 * (unrolled-lstm.ts) it is within the noise: 1,200 / 1,295 / 1,241 samples/s on the calling thread against
 * 1,265 / 1,247 / 1,251 called by name, which peaked at 640–658 MB against 617–629. Graphs on the default executor
 * keep the call by name: on the calling thread their parallel branches lose the inter-op pool (cnn-train and
 * text-train 6–7% slower).
 */
function functionCall(backend: NativeBackend, name: string, trace: StepTrace, effects: boolean): Compiled['call'] {
  const { TF_ATTR_STRING, TF_ATTR_TYPE, TF_RESOURCE, TF_INT32 } = backend.binding;
  const executor = executorFor(trace.ops);
  const attrs: OpAttr[] = [
    { name: 'executor_type', type: TF_ATTR_STRING, value: executor },
    { name: 'config_proto', type: TF_ATTR_STRING, value: '' },
  ];
  if (executor !== SINGLE_THREADED_EXECUTOR || nativeCapabilities()?.functionCalls.ok !== true) {
    return { op: name, attrs, inline: false };
  }
  const argDtype = (a: Arg): number => (a.kind === 'resource' ? TF_RESOURCE : a.dtype);
  const dtypeOf = (ref: Ref): number => {
    if ('op' in ref) return trace.ops[ref.op]!.outputDtypes[ref.output]!;
    if ('const' in ref) return trace.consts[ref.const]!.dtype;
    return argDtype(trace.args[ref.arg]!);
  };
  const tout = [...trace.outputs, ...trace.updates.map((u) => u.value)].map(dtypeOf);
  if (effects) tout.push(TF_INT32);
  return {
    op: 'StatefulPartitionedCall',
    attrs: [
      { name: 'Tin', type: TF_ATTR_TYPE, value: trace.args.map(argDtype) },
      { name: 'Tout', type: TF_ATTR_TYPE, value: tout },
      { name: 'f', type: TF_ATTR_FUNC, value: name },
      ...attrs,
    ],
    inline: true,
  };
}

let warnedUnavailable = false;

/**
 * Whether the addon registers graph functions (dl's patch of it does; tfjs-node's stock prebuilt addon does not).
 * When it does not, steps run eagerly — slower, same results — and one line says so, once per process.
 */
function graphFunctionsAvailable(): boolean {
  const graph = nativeCapabilities()?.graphFunctions;
  if (graph?.ok) return true;
  if (!warnedUnavailable) {
    warnedUnavailable = true;
    process.stderr.write(`[dl] graph execution unavailable (${graph?.reason}): steps run eagerly, slower. Fix: ${setupCommand()}\n`);
  }
  return false;
}

function endpoint(ref: Ref): string {
  if ('op' in ref) return `op${ref.op}:${ref.output}`;
  if ('const' in ref) return `const${ref.const}:0`;
  return `arg${ref.arg}:0`;
}

/** The trace as a string that two runs of the same step share exactly (closures and handle ids left out). */
function canonicalTrace(trace: StepTrace): string {
  return JSON.stringify({
    ops: trace.ops.map((o) => [o.op, o.attrs, o.inputs, o.numOutputs]),
    consts: trace.consts.map((c) => [
      c.dtype,
      c.shape,
      Buffer.from(c.values.buffer, c.values.byteOffset, c.values.byteLength).toString('base64'),
    ]),
    args: trace.args.map((a) =>
      a.kind === 'variable'
        ? ['variable', a.variable.name]
        : a.kind === 'resource'
          ? ['resource', a.id]
          : [a.kind, a.index, a.dtype, a.shape],
    ),
    hooks: trace.hooks.map((h) => ('feed' in h ? `feed${h.count}` : 'before' in h ? 'before' : 'after')),
    outputs: trace.outputs,
    updates: trace.updates.map((u) => [u.variable.name, u.value]),
  });
}
