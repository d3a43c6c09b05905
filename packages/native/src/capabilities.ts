/**
 * What dl needs of a loaded tfjs-node beyond running ops, checked by running it: list attributes in `executeOp`
 * (TensorFlow's fused kernels such as `_FusedConv2D` take lists of strings and types), graph functions
 * (`registerFunction`, which dl's graph execution calls) and function-name attributes (a graph called through
 * `StatefulPartitionedCall`). All come from our patch of the addon; tfjs-node's published prebuilt addon has none,
 * and dl must then say so rather than fail with a TypeError mid-training.
 */
import protobuf from 'protobufjs';

/** One capability: whether it works, and if not, what went wrong. */
export interface Capability {
  ok: boolean;
  reason?: string;
}

export interface Capabilities {
  /** `executeOp` accepts list-of-strings and list-of-types attributes. */
  listAttributes: Capability;
  /** A GraphDef registers as a function and runs (dl's graph execution). */
  graphFunctions: Capability;
  /**
   * `executeOp` accepts a function-name attribute, and `setRunEagerOpAsFunction` switches TensorFlow's eager ops to
   * run as small functions: a registered function then runs through `StatefulPartitionedCall` on the calling thread.
   */
  functionCalls: Capability;
}

/** The parts of tfjs-node's binding and backend used here (it publishes no typings for them). */
interface Binding {
  executeOp(name: string, attrs: Array<{ name: string; type: number; value: unknown }>, inputIds: number[], numOutputs: number): unknown[];
  registerFunction?: (name: string, graphDef: Uint8Array, inputs: string[], outputs: string[]) => void;
  setRunEagerOpAsFunction?: (enable: boolean) => void;
  TF_FLOAT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_INT: number;
}

/** TensorFlow's TF_AttrType for a function (tf_attrtype.h); tfjs-node's binding does not export it. */
export const TF_ATTR_FUNC = 8;

interface Backend {
  binding: Binding;
  getInputTensorIds(tensors: unknown[]): number[];
  createOutputTensor(metadata: unknown): { dataSync(): ArrayLike<number>; dispose(): void };
}
/** The part of a loaded tfjs-node used here. */
export interface TfjsNode {
  backend(): unknown;
  tensor(values: number[], shape: number[]): { dispose(): void };
}

let probeCount = 0;

/** Runs one tiny op of each kind on `tf` (a loaded tfjs-node) and reports what works. */
export function checkCapabilities(tf: TfjsNode): Capabilities {
  const backend = tf.backend() as Backend;
  return {
    listAttributes: attempt(() => {
      // relu(conv2d(x, 1×1 filter of 1) + bias) on [1, -2] with bias -0.5 → [0.5, 0].
      const out = run(
        tf,
        backend,
        '_FusedConv2D',
        [[1, -2], [1]],
        [
          [1, 1, 2, 1],
          [1, 1, 1, 1],
        ],
        [-0.5],
        [
          { name: 'T', type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT },
          { name: 'TArgs', type: backend.binding.TF_ATTR_TYPE, value: [backend.binding.TF_FLOAT] },
          { name: 'num_args', type: backend.binding.TF_ATTR_INT, value: 1 },
          { name: 'strides', type: backend.binding.TF_ATTR_INT, value: [1, 1, 1, 1] },
          { name: 'padding', type: backend.binding.TF_ATTR_STRING, value: 'VALID' },
          { name: 'fused_ops', type: backend.binding.TF_ATTR_STRING, value: ['BiasAdd', 'Relu'] },
        ],
      );
      expectValues(out, [0.5, 0], '_FusedConv2D');
    }),
    graphFunctions: attempt(() => {
      const name = registerDoubling(backend.binding);
      expectValues(run(tf, backend, name, [[3]], [[1]], undefined, []), [6], 'a registered graph function');
    }),
    functionCalls: attempt(() => {
      const name = registerDoubling(backend.binding);
      const inline = backend.binding.setRunEagerOpAsFunction;
      if (typeof inline !== 'function')
        throw new Error("the addon has no setRunEagerOpAsFunction (it is not built with dl's current patch)");
      const { TF_ATTR_TYPE, TF_ATTR_STRING, TF_FLOAT } = backend.binding;
      const attrs = [
        { name: 'Tin', type: TF_ATTR_TYPE, value: [TF_FLOAT] },
        { name: 'Tout', type: TF_ATTR_TYPE, value: [TF_FLOAT] },
        { name: 'f', type: TF_ATTR_FUNC, value: name },
        { name: 'executor_type', type: TF_ATTR_STRING, value: '' },
        { name: 'config_proto', type: TF_ATTR_STRING, value: '' },
      ];
      inline.call(backend.binding, true);
      try {
        expectValues(run(tf, backend, 'StatefulPartitionedCall', [[4]], [[1]], undefined, attrs), [8], 'StatefulPartitionedCall');
      } finally {
        inline.call(backend.binding, false);
      }
    }),
  };
}

/** Registers `y = x + x` as a new function through the addon's `registerFunction`; returns its name. */
function registerDoubling(binding: Binding): string {
  if (typeof binding.registerFunction !== 'function')
    throw new Error("the addon has no registerFunction (it is not built with dl's patch)");
  const name = `dl_capability_probe_${process.pid}_${probeCount++}`;
  binding.registerFunction(name, doublingGraph(binding.TF_FLOAT), ['x:0'], ['y:0']);
  return name;
}

function attempt(check: () => void): Capability {
  try {
    check();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  }
}

/** Runs `op` on float tensors made from `values`/`shapes` (plus a bias vector, if given); returns the first output. */
function run(
  tf: TfjsNode,
  backend: Backend,
  op: string,
  values: number[][],
  shapes: number[][],
  bias: number[] | undefined,
  attrs: Array<{ name: string; type: number; value: unknown }>,
): number[] {
  const inputs = values.map((v, i) => tf.tensor(v, shapes[i]!));
  if (bias) inputs.push(tf.tensor(bias, [bias.length]));
  try {
    const [first] = backend.binding.executeOp(op, attrs, backend.getInputTensorIds(inputs), 1).map((m) => backend.createOutputTensor(m));
    const result = Array.from(first!.dataSync());
    first!.dispose();
    return result;
  } finally {
    for (const t of inputs) t.dispose();
  }
}

function expectValues(actual: number[], expected: number[], what: string): void {
  if (actual.join() !== expected.join()) throw new Error(`${what} returned [${actual.join(', ')}], expected [${expected.join(', ')}]`);
}

/**
 * The GraphDef of `y = x + x` for a float scalar `x`, written field by field (tensorflow/core/framework/graph.proto,
 * node_def.proto, attr_value.proto): two nodes are not worth a schema.
 */
function doublingGraph(floatType: number): Uint8Array {
  const w = protobuf.Writer.create();
  const node = (name: string, op: string, inputs: string[], typeAttr: string) => {
    w.uint32(10).fork(); // GraphDef.node
    w.uint32(10).string(name).uint32(18).string(op);
    for (const input of inputs) w.uint32(26).string(input);
    w.uint32(42).fork().uint32(10).string(typeAttr).uint32(18).fork().uint32(48).int32(floatType).ldelim().ldelim(); // attr
    w.ldelim();
  };
  node('x', 'Placeholder', [], 'dtype');
  node('y', 'AddV2', ['x', 'x'], 'T');
  return w.finish();
}
