/**
 * Runs a model's network on concrete tensors with one intermediate tensor replaced by a given value, as Keras's
 * `keras.Model(inputs, [layer.output, model.output])` plus feeding a layer's output would: attribution methods need the
 * gradient of the output with respect to a layer's output (Grad-CAM's last convolution, an embedding's vectors), which
 * `model.forward` cannot give. The walk mirrors tfjs-layers' own (`Container.runInternalGraph`: each layer's `call` on
 * its inputs, masks propagated by `computeMask`), pulled from the outputs so only what they need runs: the layers that
 * feed only the replaced tensor are skipped.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Layer, Network, SymbolicTensor } from '../layer-types.js';
import { OptionError } from '../errors/option-error.js';

/** The parts of tfjs-layers' SymbolicTensor, Node and Layer the walk reads (tfjs-layers' own declarations are not strict-clean). */
interface GraphTensor {
  readonly id: number;
  readonly name: string;
  readonly shape: Array<number | null>;
  readonly sourceLayer: GraphLayer;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
}
interface GraphNode {
  readonly inputTensors: GraphTensor[];
  readonly outputTensors: GraphTensor[];
  readonly callArgs?: Record<string, unknown>;
}
interface GraphLayer {
  readonly name: string;
  readonly inboundNodes: GraphNode[];
  call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[];
  computeMask(inputs: Tensor | Tensor[], mask?: Tensor | Array<Tensor | null> | null): Tensor | Tensor[] | null;
  getClassName(): string;
}

type Computed = [value: Tensor, mask: Tensor | null];

/** A tensor of the network's graph: one of its inputs, or a layer's output. */
export type NetworkTensor = SymbolicTensor;

/**
 * The network's outputs (or `fetch`) for `inputs` (one tensor per network input) at inference, with `replace.tensor`
 * taking the value `replace.value` instead of the one its layer would compute. The caller disposes the results
 * (run it inside `tf.tidy`).
 */
export function runNetwork(
  net: Network,
  inputs: Tensor[],
  replace?: { tensor: NetworkTensor; value: Tensor },
  fetch: readonly NetworkTensor[] = net.outputs,
): Tensor[] {
  const memo = new Map<number, Computed>();
  const netInputs = net.inputs as unknown as GraphTensor[];
  netInputs.forEach((t, i) => {
    const value = inputs[i];
    if (value !== undefined) memo.set(t.id, [value, null]);
  });
  const replaced = replace?.tensor as unknown as GraphTensor | undefined;

  const compute = (t: GraphTensor): Computed => {
    const known = memo.get(t.id);
    if (known) return known;
    const node = t.sourceLayer.inboundNodes[t.nodeIndex];
    if (!node || node.inputTensors.some((x) => x.id === t.id)) {
      throw new OptionError(`network input '${t.name}' was not given a value`);
    }
    const layer = t.sourceLayer;
    const isReplaced = node.outputTensors.some((x) => x.id === replaced?.id);
    const computed = node.inputTensors.map(compute);
    const values = computed.map((c) => c[0]);
    const masks = computed.map((c) => c[1]);
    const single = values.length === 1;
    const x = single ? values[0]! : values;
    const mask = single ? masks[0]! : masks;
    // A copy: tfjs-layers writes the mask into the node's own callArgs.
    const kwargs: Record<string, unknown> = { ...node.callArgs, training: false };
    if (kwargs['mask'] == null) kwargs['mask'] = mask;
    const outputs: Array<Tensor | null | undefined> = isReplaced ? node.outputTensors.map(() => undefined) : toList(layer.call(x, kwargs));
    const outputMasks = toList(layer.computeMask(x, mask) ?? null);
    node.outputTensors.forEach((o, i) => {
      const value = o.id === replaced?.id ? replace!.value : outputs[i];
      if (value == null) throw new OptionError(`layer '${layer.name}' computed no output ${i}`);
      memo.set(o.id, [value, (outputMasks[i] as Tensor | null | undefined) ?? null]);
    });
    return memo.get(t.id)!;
  };
  return (fetch as unknown as GraphTensor[]).map((t) => compute(t)[0]);
}

function toList<T>(value: T | T[] | null): Array<T | null> {
  return Array.isArray(value) ? value : [value];
}

/** `layer`'s output in `net` (the first, for a layer applied more than once). */
export function layerOutput(layer: Layer): NetworkTensor {
  const node = (layer as unknown as GraphLayer).inboundNodes[0];
  const output = node?.outputTensors[0];
  if (output === undefined) throw new OptionError(`layer '${layer.name}' is not connected in the model`);
  return output as unknown as NetworkTensor;
}

/** The layers that take `tensor` as their input (in the model's layer order). */
export function consumers(net: Network, tensor: NetworkTensor): Layer[] {
  const id = (tensor as unknown as GraphTensor).id;
  return net.layers.filter((l) =>
    (l as unknown as GraphLayer).inboundNodes.some(
      (n) => n.inputTensors.some((x) => x.id === id) && !n.outputTensors.some((x) => x.id === id),
    ),
  );
}
