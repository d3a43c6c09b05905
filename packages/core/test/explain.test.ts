// Attribution methods on small, briefly trained models: completeness (a property IG must have for any differentiable
// model), exact values on a linear model, the model-randomisation sanity check, Grad-CAM's localisation, per-token
// attributions of an embedding model, and the errors.
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  explain,
  input,
  layers,
  model,
  OptionError,
  sequential,
  setSeed,
  ShapeError,
  tf,
  type Model,
  type SymbolicTensor,
} from '../src/index.js';
import { rng, spearman } from './helpers.js';

const SIZE = 8;

/** 8×8 images with a bright 3×3 square in the left (class 0) or right (class 1) half, on faint noise. */
function squares(n: number, seed: number) {
  const next = rng(seed);
  const x = new Float32Array(n * SIZE * SIZE);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    y[i] = label;
    for (let p = 0; p < SIZE * SIZE; p++) x[i * SIZE * SIZE + p] = next() * 0.1;
    const top = Math.floor(next() * (SIZE - 3));
    const left = label === 0 ? Math.floor(next() * 2) : SIZE - 3 - Math.floor(next() * 2);
    for (let r = top; r < top + 3; r++) for (let c = left; c < left + 3; c++) x[i * SIZE * SIZE + r * SIZE + c] = 1;
  }
  return { x: { data: x, shape: [n, SIZE, SIZE, 1] }, y: { data: y, shape: [n] } };
}

function convNet(): Model {
  const net = sequential([
    layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [SIZE, SIZE, 1], name: 'first_conv' }),
    layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'last_conv' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 2, activation: 'softmax' }),
  ]);
  net.compile({ optimizer: { name: 'adam', learningRate: 1e-2 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return net;
}

describe('explain on a small convolutional network', () => {
  let trained: Model;
  const test = squares(20, 2);

  beforeAll(async () => {
    setSeed(3);
    trained = convNet();
    const train = squares(400, 1);
    await trained.fit(train.x, train.y, { epochs: 4, batchSize: 32, verbose: 0 });
    expect((await trained.evaluate(test.x, test.y))['accuracy']).toBeGreaterThan(0.9);
  }, 60_000);

  it('integrated gradients sum to f(x) − f(baseline) within 1% at the default steps', () => {
    const ig = explain.integratedGradients(trained, test.x);
    expect(ig.scores.shape).toEqual([20, SIZE, SIZE, 1]);
    for (let i = 0; i < 20; i++) {
      const row = ig.scores.data.subarray(i * 64, (i + 1) * 64);
      const total = row.reduce((a, b) => a + b, 0);
      const expected = ig.outputs[i]! - ig.baselineOutputs[i]!;
      expect(Math.abs(total - expected)).toBeLessThanOrEqual(0.01 * Math.abs(expected) + 1e-6);
      expect(ig.convergenceDelta[i]).toBeCloseTo(total - expected, 5);
    }
    // The predicted class is explained by default, and it is the label on this easy task.
    expect(Array.from(ig.targets)).toEqual(Array.from(test.y.data));
    // A baseline equal to the input leaves nothing to attribute.
    const one = { data: test.x.data.subarray(0, 64), shape: [1, SIZE, SIZE, 1] };
    const same = explain.integratedGradients(trained, one, { baseline: one, steps: 8 });
    expect(Math.max(...same.scores.data.map(Math.abs))).toBe(0);
  });

  it('attributions of the re-initialised network are uncorrelated with the trained one (model randomisation)', () => {
    setSeed(4);
    const fresh = convNet();
    const targets = Array.from(test.y.data);
    const a = explain.integratedGradients(trained, test.x, { target: targets }).scores.data;
    const b = explain.integratedGradients(fresh, test.x, { target: targets }).scores.data;
    let total = 0;
    for (let i = 0; i < 20; i++) total += spearman(a.subarray(i * 64, (i + 1) * 64), b.subarray(i * 64, (i + 1) * 64));
    expect(Math.abs(total / 20)).toBeLessThan(0.2);
    // …while the trained network's own attributions by two methods agree.
    const g = explain.gradientTimesInput(trained, test.x, { target: targets }).scores.data;
    let own = 0;
    for (let i = 0; i < 20; i++) own += spearman(a.subarray(i * 64, (i + 1) * 64), g.subarray(i * 64, (i + 1) * 64));
    expect(own / 20).toBeGreaterThan(0.5);
  });

  it('puts the evidence on the square', () => {
    const inSquare = (i: number) => Array.from({ length: 64 }, (_, p) => test.x.data[i * 64 + p]! === 1);
    const methods = {
      ig: explain.integratedGradients(trained, test.x).scores.data,
      smoothGrad: explain.smoothGrad(trained, test.x, { timesInput: true }).scores.data,
      gradientTimesInput: explain.gradientTimesInput(trained, test.x).scores.data,
    };
    for (const [name, scores] of Object.entries(methods)) {
      let hits = 0;
      for (let i = 0; i < 20; i++) {
        const row = Array.from(scores.subarray(i * 64, (i + 1) * 64));
        // The half of the image holding the square gets more of the positive evidence than the other half.
        const square = inSquare(i);
        const left = square.findIndex((v) => v) % SIZE < SIZE / 2;
        const half = (wantLeft: boolean) => row.reduce((s, v, p) => (p % SIZE < SIZE / 2 === wantLeft ? s + Math.max(v, 0) : s), 0);
        if (half(left) > half(!left)) hits++;
      }
      expect(hits, name).toBeGreaterThanOrEqual(18);
    }
  });

  it("Grad-CAM weighs the last convolution's maps by the mean gradient of the class's logit", () => {
    const cam = explain.gradCam(trained, test.x);
    expect(cam.layer).toBe('last_conv');
    expect(cam.scores.shape).toEqual([20, SIZE, SIZE]);
    // The same computed by hand, through the layers one by one.
    const [first, last, pool, flatten, dense] = trained.net.layers;
    const [kernel, bias] = dense!.getWeights();
    const expected = tf.tidy(() => {
      const x = tf.tensor(test.x.data, test.x.shape);
      const maps = last!.apply(first!.apply(x)) as Tensor;
      const mask = tf.oneHot(tf.tensor1d(Array.from(cam.targets), 'int32'), 2);
      const logit = (a: Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(flatten!.apply(pool!.apply(a)) as Tensor2D, kernel!), bias!), mask));
      const weights = tf.mean(tf.grad(logit)(maps), [1, 2], true);
      const weighted = tf.relu(tf.sum(tf.mul(maps, weights), -1, true));
      return tf.image.resizeBilinear(weighted as Tensor4D, [SIZE, SIZE]).dataSync();
    });
    for (let k = 0; k < expected.length; k += 7) expect(cam.scores.data[k]).toBeCloseTo(expected[k]!, 4);
    expect(Math.max(...cam.scores.data)).toBeGreaterThan(0);
    // Another layer by name; the probability instead of the logit on request.
    expect(explain.gradCam(trained, test.x, { layer: 'first_conv', logits: false }).layer).toBe('first_conv');
  });

  it('explains any class and output index asked for, in plain arrays or tensors', () => {
    const x = tf.tensor(test.x.data.subarray(0, 128), [2, SIZE, SIZE, 1]);
    const other = explain.gradientTimesInput(trained, x, { target: [1, 0], batchSize: 1 });
    expect(Array.from(other.targets)).toEqual([1, 0]);
    expect(other.outputs[0]).toBeLessThan(0.5);
    x.dispose();
  });

  it('gives the same scores once its gradient step runs as a graph', () => {
    setSeed(8);
    const fresh = convNet();
    const x = { data: test.x.data.subarray(0, 64), shape: [1, SIZE, SIZE, 1] };
    const eager = explain.integratedGradients(fresh, x, { steps: 16, maxSteps: 16 }).scores.data;
    for (let k = 0; k < 4; k++) explain.integratedGradients(fresh, x, { steps: 16, maxSteps: 16 });
    const graph = explain.integratedGradients(fresh, x, { steps: 16, maxSteps: 16 }).scores.data;
    const peak = Math.max(...eager.map(Math.abs));
    for (let k = 0; k < 64; k++) expect(Math.abs(graph[k]! - eager[k]!)).toBeLessThan(1e-4 * peak);
  });

  it('leaves no tensors behind', () => {
    const x = { data: test.x.data.subarray(0, 128), shape: [2, SIZE, SIZE, 1] };
    const all = () => {
      explain.integratedGradients(trained, x, { steps: 4 });
      explain.smoothGrad(trained, x, { samples: 3 });
      explain.gradientTimesInput(trained, x);
      explain.gradCam(trained, x);
    };
    all(); // graph functions and their state are made once
    const before = tf.memory().numTensors;
    all();
    all();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options with OptionError naming them', () => {
    const one = { data: test.x.data.subarray(0, 64), shape: [1, SIZE, SIZE, 1] };
    expect(() => explain.integratedGradients(trained, one, { steps: 0 })).toThrow(/steps must be a positive integer/);
    expect(() => explain.integratedGradients(trained, one, { target: 5 })).toThrow(OptionError);
    expect(() => explain.integratedGradients(trained, one, { outputIndex: 1 })).toThrow(/outputIndex 1 is out of range/);
    expect(() => explain.integratedGradients(trained, one, { stepz: 3 } as never)).toThrow(/unknown integratedGradients option 'stepz'/);
    expect(() => explain.integratedGradients(trained, one, { baseline: { data: [0, 0], shape: [2] } })).toThrow(/baseline of shape \[2\]/);
    expect(() => explain.integratedGradients(trained, one, { baselineToken: 0 })).toThrow(/baselineToken is for models/);
    expect(() => explain.gradCam(trained, one, { layer: 'nope' })).toThrow(/layer 'nope' is not in model/);
    expect(() => explain.gradCam(trained, one, { layer: 'flatten_1' })).toThrow(OptionError);
    expect(() => explain.smoothGrad(trained, { data: [1, 2], shape: [1, 2] })).toThrow(ShapeError);
  });
});

describe('explain on other models', () => {
  it('integrated gradients of a linear model are exactly w·(x − baseline)', () => {
    setSeed(5);
    const linear = sequential([layers.dense({ units: 3, inputShape: [4] })]);
    // getWeights hands out the layer's own variables: not to be disposed.
    const [w] = linear.net.getWeights();
    const x = { data: [0.5, -1, 2, 0.25, 1, 1, 1, 1], shape: [2, 4] };
    const ig = explain.integratedGradients(linear, x, { target: 2, baseline: 0.5, steps: 2 });
    const kernel = w!.arraySync() as number[][];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) expect(ig.scores.data[i * 4 + j]).toBeCloseTo(kernel[j]![2]! * (x.data[i * 4 + j]! - 0.5), 5);
    }
    expect(Math.max(...ig.convergenceDelta.map(Math.abs))).toBeLessThan(1e-5);
    expect(Array.from(ig.steps)).toEqual([2, 2]);
  });

  it('attributes a sequence model per token through its embedding, and finds the token that decides', async () => {
    setSeed(6);
    // Sequences of tokens 2…9 with a 1 in front (padding 0); positive exactly when token 9 occurs.
    const next = rng(7);
    const n = 300;
    const length = 10;
    const x = new Int32Array(n * length);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const start = 2 + Math.floor(next() * 3);
      for (let t = start; t < length; t++) x[i * length + t] = 2 + Math.floor(next() * 7);
      if (i % 2 === 1) x[i * length + start + Math.floor(next() * (length - start))] = 9;
      y[i] = i % 2;
    }
    const ids = input({ shape: [length], name: 'ids' });
    const embedded = layers.embedding({ inputDim: 10, outputDim: 8 }).apply(ids) as SymbolicTensor;
    const hidden = layers.lstm({ units: 8 }).apply(embedded) as SymbolicTensor;
    const out = layers.dense({ units: 1, activation: 'sigmoid' }).apply(hidden) as SymbolicTensor;
    const net = model({ inputs: ids, outputs: out });
    net.compile({ optimizer: { name: 'adam', learningRate: 2e-2 }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await net.fit({ data: x, shape: [n, length] }, { data: y, shape: [n] }, { epochs: 8, batchSize: 32, verbose: 0 });
    const sample = { data: x.subarray(0, 20 * length), shape: [20, length] };
    const ig = explain.integratedGradients(net, sample);
    expect(ig.scores.shape).toEqual([20, length]);
    let found = 0;
    for (let i = 0; i < 20; i++) {
      const expected = ig.outputs[i]! - ig.baselineOutputs[i]!;
      expect(Math.abs(ig.convergenceDelta[i]!)).toBeLessThanOrEqual(0.01 * Math.abs(expected) + 1e-6);
      // Padding equals the baseline token: nothing to attribute there.
      for (let t = 0; t < 2; t++) expect(ig.scores.data[i * length + t]).toBe(0);
      if (i % 2 === 1) {
        const row = Array.from(ig.scores.data.subarray(i * length, (i + 1) * length));
        if (x[i * length + row.indexOf(Math.max(...row))] === 9) found++;
      }
    }
    expect(found).toBeGreaterThanOrEqual(9);
    expect(explain.gradientTimesInput(net, sample).scores.shape).toEqual([20, length]);
    expect(explain.smoothGrad(net, sample, { samples: 4 }).scores.shape).toEqual([20, length]);
    expect(() => explain.integratedGradients(net, sample, { baseline: 0 })).toThrow(/baselineToken/);
    expect(() => explain.gradCam(net, sample)).toThrow(/has no Conv2D layer/);
  }, 60_000);

  it('explains the output outputIndex names, of a model with several', () => {
    setSeed(9);
    const x0 = input({ shape: [3] });
    const a = layers.dense({ units: 2, name: 'a' }).apply(x0) as SymbolicTensor;
    const bLayer = layers.dense({ units: 2, name: 'b' });
    const b = bLayer.apply(x0) as SymbolicTensor;
    const twoHeads = model({ inputs: x0, outputs: [a, b] });
    const x = { data: [1, -2, 0.5], shape: [1, 3] };
    const ig = explain.integratedGradients(twoHeads, x, { outputIndex: 1, target: 1, steps: 2 });
    const kernel = bLayer.getWeights()[0]!.arraySync() as number[][];
    for (let j = 0; j < 3; j++) expect(ig.scores.data[j]).toBeCloseTo(kernel[j]![1]! * x.data[j]!, 5);
  });

  it('refuses models with several inputs', () => {
    const a = input({ shape: [2] });
    const b = input({ shape: [2] });
    const sum = layers.dense({ units: 1 }).apply(layers.concatenate().apply([a, b]) as SymbolicTensor) as SymbolicTensor;
    const two = model({ inputs: [a, b], outputs: sum });
    expect(() => explain.gradientTimesInput(two, { data: [1, 2], shape: [1, 2] })).toThrow(/has 2 inputs/);
  });
});
