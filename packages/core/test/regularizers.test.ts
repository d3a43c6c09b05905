import { describe, expect, it } from 'vitest';
import type { layers as tfLayers, LayersModel, Variable } from '@tensorflow/tfjs';
import { tf } from '../src/backend.js';
import * as layers from '../src/layers.js';
import { l1, l1l2, l2, regularizationLoss, type Regularizer } from '../src/regularizers.js';
import { tfl } from '../src/tfjs-layers-api.js';

/**
 * A built one-dense-layer model (4 → 3) whose bias is ones, so a penalty on the bias would show.
 * (A tfjs Sequential reports no losses until it is built: by its first call, or `build()`.)
 */
function denseNet(options: { kernelRegularizer?: Regularizer; biasRegularizer?: Regularizer }): LayersModel {
  const net = tfl.sequential({
    layers: [layers.dense({ units: 3, inputShape: [4], biasInitializer: 'ones', ...options })] as tfLayers.Layer[],
  });
  net.build();
  return net;
}

/** The model's regularization losses (`net.calculateLosses()`), summed. */
function penalty(net: LayersModel): number {
  const losses = net.calculateLosses();
  const total = losses.reduce((sum, l) => sum + l.dataSync()[0]!, 0);
  tf.dispose(losses);
  return total;
}

function values(net: LayersModel, index: number): number[] {
  return Array.from(net.getWeights()[index]!.dataSync());
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const sumSquares = (xs: number[]) => sum(xs.map((x) => x * x));
const sumAbs = (xs: number[]) => sum(xs.map(Math.abs));

describe('regularizers', () => {
  it('l2(0.5) on a kernel adds 0.5·Σw² of the kernel alone to the model losses', () => {
    const net = denseNet({ kernelRegularizer: l2(0.5) });
    const kernel = values(net, 0);
    expect(kernel).toHaveLength(12);
    expect(sumSquares(kernel)).toBeGreaterThan(0);
    expect(net.calculateLosses()).toHaveLength(1);
    expect(penalty(net)).toBeCloseTo(0.5 * sumSquares(kernel), 5);
  });

  it('follows the weights as they change', () => {
    const net = denseNet({ kernelRegularizer: l2(0.5) });
    net.setWeights([tf.fill([4, 3], 2), tf.zeros([3])]);
    expect(penalty(net)).toBeCloseTo(0.5 * 12 * 4, 5);
  });

  it('l1(0.2) adds 0.2·Σ|w|, here on kernel and bias', () => {
    const net = denseNet({ kernelRegularizer: l1(0.2), biasRegularizer: l1(0.2) });
    expect(penalty(net)).toBeCloseTo(0.2 * sumAbs(values(net, 0)) + 0.2 * sumAbs(values(net, 1)), 5);
  });

  it('l1l2({ l1, l2 }) adds both penalties', () => {
    const net = denseNet({ kernelRegularizer: l1l2({ l1: 0.1, l2: 0.3 }) });
    const kernel = values(net, 0);
    expect(penalty(net)).toBeCloseTo(0.1 * sumAbs(kernel) + 0.3 * sumSquares(kernel), 5);
  });

  it('has Keras defaults of 0.01', () => {
    expect(l1().getConfig()).toEqual({ l1: 0.01, l2: 0 });
    expect(l2().getConfig()).toEqual({ l1: 0, l2: 0.01 });
    expect(l1l2().getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(l1l2({ l2: 0.5 }).getConfig()).toEqual({ l1: 0.01, l2: 0.5 });
    const net = denseNet({ kernelRegularizer: l2() });
    expect(penalty(net)).toBeCloseTo(0.01 * sumSquares(values(net, 0)), 6);
  });

  it('adds nothing without a regularizer', () => {
    expect(denseNet({}).calculateLosses()).toEqual([]);
    expect(regularizationLoss(denseNet({}))).toBeUndefined();
  });

  it('penalizes every regularized layer of a functional model', () => {
    const x = tfl.input({ shape: [4] });
    const h = layers.dense({ units: 3, kernelRegularizer: l2(0.5) }).apply(x) as typeof x;
    const y = layers.dense({ units: 2, kernelRegularizer: l1(0.1) }).apply(h) as typeof x;
    const net = tfl.model({ inputs: x, outputs: y });
    expect(penalty(net)).toBeCloseTo(0.5 * sumSquares(values(net, 0)) + 0.1 * sumAbs(values(net, 2)), 5);
  });

  it('is saved with the layer, so a loaded model keeps its penalty', async () => {
    const net = denseNet({ kernelRegularizer: l1l2({ l1: 0.1, l2: 0.5 }) });
    const loaded = await tfl.models.modelFromJSON({ modelTopology: net.toJSON(undefined, false) as never });
    expect(loaded.layers[0]!.getConfig().kernelRegularizer).toEqual({ className: 'L1L2', config: { l1: 0.1, l2: 0.5 } });
    loaded.setWeights(net.getWeights());
    expect(penalty(loaded)).toBeCloseTo(penalty(net), 5);
  });

  describe('regularizationLoss', () => {
    it('sums the penalties into one scalar, and leaks no tensors', () => {
      const net = denseNet({ kernelRegularizer: l2(0.5), biasRegularizer: l1(0.2) });
      const expected = 0.5 * sumSquares(values(net, 0)) + 0.2 * sumAbs(values(net, 1));
      const before = tf.memory().numTensors;
      const total = regularizationLoss(net)!;
      expect(total.shape).toEqual([]);
      expect(total.dataSync()[0]).toBeCloseTo(expected, 5);
      total.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('builds a Sequential model first, whose losses tfjs would otherwise leave out', () => {
      const net = tfl.sequential({ layers: [layers.dense({ units: 3, inputShape: [4], kernelRegularizer: l2(0.5) })] as tfLayers.Layer[] });
      expect(net.calculateLosses()).toEqual([]); // the tfjs behaviour regularizationLoss works around
      const total = regularizationLoss(net)!;
      expect(total.dataSync()[0]).toBeCloseTo(0.5 * sumSquares(values(net, 0)), 5);
      total.dispose();
    });

    it('has the gradient of the penalty: d(0.5·Σw²)/dw = w', () => {
      const net = denseNet({ kernelRegularizer: l2(0.5) });
      const kernel = net.trainableWeights[0]!.read() as Variable;
      const { value, grads } = tf.variableGrads(() => regularizationLoss(net)!, [kernel]);
      const grad = Array.from(grads[kernel.name]!.dataSync());
      values(net, 0).forEach((w, i) => expect(grad[i]).toBeCloseTo(w, 5));
      tf.dispose([value, ...Object.values(grads)]);
    });
  });

  it.each([
    ['l1(-1)', () => l1(-1), 'l1'],
    ['l2(NaN)', () => l2(Number.NaN), 'l2'],
    ['l1l2({ l2: Infinity })', () => l1l2({ l2: Number.POSITIVE_INFINITY }), 'l2'],
  ])('rejects %s', (_name, make, factor) => {
    expect(make).toThrow(`regularizer factor ${factor} must be a finite number ≥ 0`);
  });
});
