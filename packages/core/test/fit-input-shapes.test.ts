// Wrongly shaped inputs fail in fit, evaluate and predict with the input, the layer it feeds and both shapes,
// before any training, rather than with an error from deep inside a kernel.
import { describe, expect, it } from 'vitest';
import type { SymbolicTensor } from '../src/layer-types.js';
import { input, layers, model, sequential, tf, type Model, type ShapedArray, type StreamBatch } from '../src/index.js';
import { Recorder, errorOf } from './helpers.js';

const zeros = (shape: number[]): ShapedArray => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
const labels = (n: number): ShapedArray => ({ data: new Float32Array(n), shape: [n] });

function twoLayer(): Model {
  const m = sequential(
    [
      layers.dense({ units: 3, activation: 'relu', inputShape: [2], name: 'hidden' }),
      layers.dense({ units: 2, activation: 'softmax', name: 'probs' }),
    ],
    {
      name: 'shape_check',
    },
  );
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

function expectNamesLayerAndShapes(error: Error, layer: string, expected: string, got: string): void {
  expect(error.message).toContain(`'${layer}'`);
  expect(error.message).toContain(expected);
  expect(error.message).toContain(got);
}

describe('input shape errors', () => {
  it.each([
    ['a wrong last axis', [4, 3], '[4,3]'],
    ['a missing axis', [4], '[4]'],
    ['an extra axis', [4, 2, 1], '[4,2,1]'],
  ])('with %s: fit, evaluate and predict name the layer and both shapes, before training', async (_name, shape, got) => {
    const m = twoLayer();
    const x = zeros(shape);
    const recorder = new Recorder();
    const before = tf.memory().numTensors;

    const fitError = await errorOf(() => m.fit(x, labels(4), { verbose: 0, callbacks: [recorder] }));
    expectNamesLayerAndShapes(fitError, 'hidden', '[null,2]', got);
    expect(fitError.message).toBe(`input 'hidden_input' of layer 'hidden' expects shape [null,2] but got ${got}`);
    expect(recorder.events).toEqual([]);
    expectNamesLayerAndShapes(await errorOf(() => m.evaluate(x, labels(4))), 'hidden', '[null,2]', got);
    expectNamesLayerAndShapes(await errorOf(() => m.predict(x)), 'hidden', '[null,2]', got);
    // The tensors made from the plain arrays are freed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the same for tensors, and for validationData', async () => {
    const m = twoLayer();
    const xt = tf.zeros([5, 3]);
    expectNamesLayerAndShapes(await errorOf(() => m.fit(xt, labels(5), { verbose: 0 })), 'hidden', '[null,2]', '[5,3]');
    expectNamesLayerAndShapes(await errorOf(() => m.predict(xt)), 'hidden', '[null,2]', '[5,3]');
    xt.dispose();
    const recorder = new Recorder();
    const error = await errorOf(() =>
      m.fit(zeros([4, 2]), labels(4), { validationData: [zeros([3, 5]), labels(3)], verbose: 0, callbacks: [recorder] }),
    );
    expectNamesLayerAndShapes(error, 'hidden', '[null,2]', '[3,5]');
    expect(recorder.events).toEqual([]);
  });

  it('finds the wrongly shaped one of several inputs and names the layer it feeds', async () => {
    const a = input({ shape: [3], name: 'left' });
    const b = input({ shape: [2], name: 'right' });
    const joined = layers.concatenate({ name: 'join' }).apply([a, b]) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: layers.dense({ units: 1, name: 'out' }).apply(joined) as SymbolicTensor, name: 'two_in' });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const y = zeros([4, 1]);
    const error = await errorOf(() => m.fit([zeros([4, 3]), zeros([4, 4])], y, { verbose: 0 }));
    expect(error.message).toBe("input 'right' of layer 'join' expects shape [null,2] but got [4,4]");
    expectNamesLayerAndShapes(await errorOf(() => m.evaluate([zeros([4, 3]), zeros([4, 4])], y)), 'join', '[null,2]', '[4,4]');
    expectNamesLayerAndShapes(await errorOf(() => m.predict([zeros([4, 2]), zeros([4, 2])])), 'join', '[null,3]', '[4,2]');
  });

  it('suggests the missing channels axis of image data', async () => {
    const m = sequential([
      layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1], name: 'conv' }),
      layers.flatten(),
      layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const error = await errorOf(() => m.fit(zeros([2, 5, 5]), labels(2), { verbose: 0 }));
    expect(error.message).toContain("of layer 'conv' expects shape [null,5,5,1] but got [2,5,5]");
    expect(error.message).toContain('reshape the data to [2,5,5,1]');
  });

  it('the same for the batches of a stream, in fit and in evaluate', async () => {
    const m = twoLayer();
    const stream = {
      *[Symbol.iterator](): Generator<StreamBatch> {
        yield { x: zeros([4, 3]), y: labels(4) };
      },
    };
    expectNamesLayerAndShapes(await errorOf(() => m.fit(stream, { verbose: 0 })), 'hidden', '[null,2]', '[4,3]');
    expectNamesLayerAndShapes(await errorOf(() => m.evaluate(stream)), 'hidden', '[null,2]', '[4,3]');
  });
});
