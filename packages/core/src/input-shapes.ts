/**
 * Checks data against a model's inputs before it runs, so that a wrong shape fails with the input, the layer it
 * feeds and both shapes — `input 'conv2d_input' of layer 'conv2d' expects shape [null,28,28,1] but got [32,28,28]` —
 * rather than with an error from deep inside a kernel.
 */
import type { Network } from './layer-types.js';
import type { LayersModel } from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs-core';
import { ShapeError } from './errors/shape-error.js';

type SymbolicInput = LayersModel['inputs'][number];

/**
 * Throws when `xs` (one tensor per model input, in `net.inputs` order) does not fit `net`'s inputs: a different
 * number of inputs, a different rank, or a different size on any axis the model fixes (`null` axes take any size).
 */
export function checkInputShapes(network: Network, xs: Tensor[]): void {
  const net = network as unknown as LayersModel;
  const inputs = net.inputs ?? [];
  if (inputs.length === 0) return;
  if (xs.length !== inputs.length) {
    const names = inputs.map((i) => `'${inputName(i)}'`).join(', ');
    throw new ShapeError(
      `model '${net.name}' expects ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${names}) but got ${xs.length}`,
    );
  }
  inputs.forEach((input, i) => {
    const expected = input.shape;
    const got = xs[i]!.shape;
    if (shapeFits(expected, got)) return;
    const consumers = consumingLayers(net, input);
    const of = consumers.length ? ` of layer${consumers.length > 1 ? 's' : ''} ${consumers.map((n) => `'${n}'`).join(', ')}` : '';
    throw new ShapeError(
      `input '${inputName(input)}'${of} expects shape ${JSON.stringify(expected)} but got ${JSON.stringify(got)}${hint(expected, got)}`,
    );
  });
}

function shapeFits(expected: ReadonlyArray<number | null>, got: readonly number[]): boolean {
  return expected.length === got.length && expected.every((d, i) => d === null || d === got[i]);
}

/** The input layer's name (as Keras names inputs); the tensor's own name may carry a `_1` tfjs added to keep it unique. */
function inputName(input: SymbolicInput): string {
  return input.sourceLayer.name;
}

/** Names of the model's layers that take `input` directly. */
function consumingLayers(net: LayersModel, input: SymbolicInput): string[] {
  return net.layers
    .filter((layer) => layer !== input.sourceLayer && layer.inboundNodes.some((node) => node.inputTensors.some((t) => t.id === input.id)))
    .map((layer) => layer.name);
}

/** The common slip of data without its channels axis (`[n, 28, 28]` for `[null, 28, 28, 1]`). */
function hint(expected: ReadonlyArray<number | null>, got: readonly number[]): string {
  if (expected.length === got.length + 1 && expected[expected.length - 1] === 1 && shapeFits(expected.slice(0, -1), got)) {
    return ` (missing the trailing axis of size 1: reshape the data to ${JSON.stringify([...got, 1])})`;
  }
  return '';
}
