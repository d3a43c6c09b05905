import { describe, expect, it } from 'vitest';
import type { layers as tfLayers, LayersModel, Tensor } from '@tensorflow/tfjs';
import type { SymbolicTensor } from '../src/layer-types.js';
import { tf } from '../src/backend.js';
import { input, model } from '../src/functional.js';
import { checkInputShapes } from '../src/input-shapes.js';
import * as layers from '../src/layers.js';
import { layersModelOf, tfl } from '../src/tfjs-layers-api.js';
import type { Network } from '../src/layer-types.js';

const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, x: SymbolicTensor | SymbolicTensor[]) =>
  layer.apply(x) as SymbolicTensor;

function cnn(): LayersModel {
  return tfl.sequential({
    layers: [
      layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [28, 28, 1], name: 'conv2d' }),
      layers.flatten(),
      layers.dense({ units: 10 }),
    ] as tfLayers.Layer[],
  });
}

function twoInputs(): LayersModel {
  const a = input({ shape: [3], name: 'a' });
  const b = input({ shape: [2], name: 'b' });
  return layersModelOf(
    model({
      inputs: [a, b],
      outputs: apply(layers.dense({ units: 1 }), apply(layers.concatenate({ name: 'join' }), [a, b])),
      name: 'pair',
    }),
  );
}

/** `checkInputShapes` on zero tensors of the given shapes, disposed after. */
function check(net: Network, ...shapes: number[][]): void {
  const xs: Tensor[] = shapes.map((s) => tf.zeros(s));
  try {
    checkInputShapes(net, xs);
  } finally {
    tf.dispose(xs);
  }
}

describe('checkInputShapes', () => {
  it('accepts data of the input shape, with any number of samples', () => {
    const net = cnn();
    expect(() => check(net, [32, 28, 28, 1])).not.toThrow();
    expect(() => check(net, [1, 28, 28, 1])).not.toThrow();
    expect(() => check(twoInputs(), [5, 3], [5, 2])).not.toThrow();
  });

  it('names the input, the layer it feeds and both shapes when the rank differs', () => {
    expect(() => check(cnn(), [32, 28, 28])).toThrow(
      "input 'conv2d_input' of layer 'conv2d' expects shape [null,28,28,1] but got [32,28,28]",
    );
  });

  it('suggests the missing channels axis', () => {
    expect(() => check(cnn(), [32, 28, 28])).toThrow('missing the trailing axis of size 1: reshape the data to [32,28,28,1]');
    expect(() => check(cnn(), [32, 28, 27])).not.toThrow(/missing the trailing axis/);
  });

  it('rejects a different size on a fixed axis', () => {
    expect(() => check(cnn(), [8, 28, 28, 3])).toThrow(
      "input 'conv2d_input' of layer 'conv2d' expects shape [null,28,28,1] but got [8,28,28,3]",
    );
    expect(() => check(cnn(), [8, 1, 28, 28])).toThrow('but got [8,1,28,28]');
  });

  it('lets a null axis take any size', () => {
    const x = input({ shape: [null, 4], name: 'seq' });
    const net = model({ inputs: x, outputs: apply(layers.lstm({ units: 2 }), x) }).net;
    expect(() => check(net, [2, 7, 4])).not.toThrow();
    expect(() => check(net, [2, 50, 4])).not.toThrow();
    expect(() => check(net, [2, 7, 5])).toThrow(/input 'seq' of layer 'lstm(_\d+)?' expects shape \[null,null,4\] but got \[2,7,5\]/);
  });

  it('checks a fixed batch size like any other axis', () => {
    const x = input({ shape: [3], batchSize: 4, name: 'fixed' });
    const net = model({ inputs: x, outputs: apply(layers.dense({ units: 1, name: 'd' }), x) }).net;
    expect(() => check(net, [4, 3])).not.toThrow();
    expect(() => check(net, [5, 3])).toThrow("input 'fixed' of layer 'd' expects shape [4,3] but got [5,3]");
  });

  it('finds the wrong one of several inputs', () => {
    expect(() => check(twoInputs(), [5, 3], [5, 4])).toThrow("input 'b' of layer 'join' expects shape [null,2] but got [5,4]");
    expect(() => check(twoInputs(), [5, 2], [5, 2])).toThrow("input 'a' of layer 'join' expects shape [null,3] but got [5,2]");
  });

  it('names every layer an input feeds', () => {
    const x = input({ shape: [2], name: 'x' });
    const net = model({
      inputs: x,
      outputs: [apply(layers.dense({ units: 1, name: 'left' }), x), apply(layers.dense({ units: 1, name: 'right' }), x)],
    }).net;
    expect(() => check(net, [3, 5])).toThrow("input 'x' of layers 'left', 'right' expects shape [null,2] but got [3,5]");
  });

  it('rejects the wrong number of inputs, naming the expected ones', () => {
    expect(() => check(twoInputs(), [5, 3])).toThrow("model 'pair' expects 2 inputs ('a', 'b') but got 1");
    expect(() => check(cnn(), [1, 28, 28, 1], [1, 28, 28, 1])).toThrow(/expects 1 input \('conv2d_input'\) but got 2/);
  });
});
