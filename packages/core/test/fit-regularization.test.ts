// Weight regularizers in training: the penalty is added to the logged (and minimised) loss, and its gradient
// shrinks the weights.
import { describe, expect, it } from 'vitest';
import type { SymbolicTensor } from '../src/layer-types.js';
import { input, layers, model, regularizers, sequential, setSeed, tf, type LossFn, type Model, type Regularizer } from '../src/index.js';
import { Recorder, separable, weightsOf } from './helpers.js';

const sumOf = (values: number[], f: (v: number) => number) => values.reduce((s, v) => s + f(v), 0);

type Build = (reg?: { kernel?: Regularizer; bias?: Regularizer }) => Model;

/** 2 → 4 (relu) → 2 (softmax), the first layer regularized as given: as a Sequential and as a functional model. */
const builds: Array<[string, Build]> = [
  [
    'a sequential model',
    (reg = {}) =>
      sequential([
        layers.dense({
          units: 4,
          activation: 'relu',
          inputShape: [2],
          name: 'first',
          ...(reg.kernel ? { kernelRegularizer: reg.kernel } : {}),
          ...(reg.bias ? { biasRegularizer: reg.bias } : {}),
        }),
        layers.dense({ units: 2, activation: 'softmax', name: 'second' }),
      ]),
  ],
  [
    'a functional model',
    (reg = {}) => {
      const x = input({ shape: [2] });
      const first = layers.dense({
        units: 4,
        activation: 'relu',
        name: 'first',
        ...(reg.kernel ? { kernelRegularizer: reg.kernel } : {}),
        ...(reg.bias ? { biasRegularizer: reg.bias } : {}),
      });
      const h = first.apply(x) as SymbolicTensor;
      return model({ inputs: x, outputs: layers.dense({ units: 2, activation: 'softmax', name: 'second' }).apply(h) as SymbolicTensor });
    },
  ],
];

function frozen(m: Model): Model {
  m.compile({ optimizer: { name: 'sgd', learningRate: 0 }, loss: 'sparseCategoricalCrossentropy' });
  return m;
}

/** Gives `to` the weights of `from`. */
function copyWeights(from: Model, to: Model): void {
  to.net.setWeights(from.net.getWeights());
}

describe.each(builds)('regularization in %s', (_name, build) => {
  it('l2 on a kernel raises the logged loss by exactly l2·Σw², in every batch, every epoch and in evaluate', async () => {
    setSeed(1);
    const plain = frozen(build());
    const regular = frozen(build({ kernel: regularizers.l2(0.1) }));
    copyWeights(plain, regular);
    const kernel = weightsOf(regular)[0]!;
    const penalty = 0.1 * sumOf(kernel, (w) => w * w);
    expect(penalty).toBeGreaterThan(0.01);
    const { x, y } = separable(20, 1);

    const plainLog = new Recorder();
    const regularLog = new Recorder();
    const a = await plain.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, callbacks: [plainLog] });
    const b = await regular.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, callbacks: [regularLog] });

    expect(regularLog.batchLogs).toHaveLength(6);
    regularLog.batchLogs.forEach((logs, i) => expect(logs['loss']! - plainLog.batchLogs[i]!['loss']!).toBeCloseTo(penalty, 5));
    b.history['loss']!.forEach((loss, i) => expect(loss - a.history['loss']![i]!).toBeCloseTo(penalty, 5));
    const evaluated = [await plain.evaluate(x, y), await regular.evaluate(x, y)];
    expect(evaluated[1]!['loss']! - evaluated[0]!['loss']!).toBeCloseTo(penalty, 5);
  });

  it('l1l2 on a kernel and l1 on a bias add l1·Σ|k| + l2·Σk² + l1·Σ|b|', async () => {
    setSeed(2);
    const plain = frozen(build());
    const regular = frozen(build({ kernel: regularizers.l1l2({ l1: 0.05, l2: 0.2 }), bias: regularizers.l1(0.3) }));
    // Non-zero biases, so that their penalty shows.
    plain.net.getLayer('first').setWeights([plain.net.getLayer('first').getWeights()[0]!, tf.tensor1d([0.5, -0.25, 1, -2])]);
    copyWeights(plain, regular);
    const [kernel, bias] = weightsOf(regular);
    const penalty = 0.05 * sumOf(kernel!, Math.abs) + 0.2 * sumOf(kernel!, (w) => w * w) + 0.3 * sumOf(bias!, Math.abs);
    const { x, y } = separable(10, 2);
    const a = await plain.fit(x, y, { batchSize: 10, verbose: 0 });
    const b = await regular.fit(x, y, { batchSize: 10, verbose: 0 });
    expect(b.history['loss']![0]! - a.history['loss']![0]!).toBeCloseTo(penalty, 5);
  });

  it('the penalty’s gradient decays the weights: with no other loss, w ← w·(1 − 2·lr·l2) at every step', async () => {
    setSeed(3);
    const m = build({ kernel: regularizers.l2(0.25) });
    // A loss connected to the outputs but always 0: only the penalty pulls on the weights.
    const nothing: LossFn = (_yTrue, yPred) => tf.mul(yPred, 0).sum(-1);
    m.compile({ optimizer: { name: 'sgd', learningRate: 0.1 }, loss: nothing });
    const [kernel0, bias0, ...rest0] = weightsOf(m);
    const { x, y } = separable(12, 3);
    // 2 epochs of 3 steps each: factor (1 − 2·0.1·0.25)^6 = 0.95^6.
    await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const [kernel, bias, ...rest] = weightsOf(m);
    const factor = 0.95 ** 6;
    kernel!.forEach((w, i) => expect(w).toBeCloseTo(kernel0![i]! * factor, 5));
    // Unregularized weights get no gradient from it.
    expect(bias).toEqual(bias0);
    expect(rest).toEqual(rest0);
  });

  it('shrinks the regularized weights over training compared with no regularizer', async () => {
    const { x, y } = separable(40, 4);
    const train = async (kernel?: Regularizer) => {
      setSeed(4);
      const m = build(kernel ? { kernel } : {});
      m.compile({ optimizer: { name: 'adam', learningRate: 0.05 }, loss: 'sparseCategoricalCrossentropy' });
      await m.fit(x, y, { epochs: 4, batchSize: 20, verbose: 0 });
      return sumOf(weightsOf(m)[0]!, (w) => w * w);
    };
    const withoutPenalty = await train();
    const withPenalty = await train(regularizers.l2(0.5));
    expect(withPenalty).toBeLessThan(0.8 * withoutPenalty);
  });
});
