// DP-SGD's step: per-example clipping (checked on a batch with one huge-gradient example), the clipped sum equal to a
// naive per-example loop, the noise's scale, Poisson batch sizes, refused layers, and fit end to end.
import { describe, expect, it } from 'vitest';
import { layers, sequential, setSeed, tf, type Model, type Scalar, type Tensor, type Variable } from '../src/index.js';
import { DpSgd } from '../src/dp/dp-optimizers.js';
import { checkDpLayers, dpTrainValues, type DpStepSpec } from '../src/dp/dp-step.js';
import { DpLayerError } from '../src/errors/dp-layer-error.js';
import { sparseCategoricalCrossentropy } from '../src/losses.js';
import { ArrayBatches } from '../src/training/batches.js';
import type { Layer } from '../src/layer-types.js';
import { rng } from './helpers.js';

/** Conv2D → pooling → Embedding-free image net, and an Embedding text net: every per-example rule is exercised. */
function imageNet(): Model {
  return sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh', inputShape: [6, 6, 1] }),
    layers.conv2d({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', activation: 'tanh' }),
    layers.flatten(),
    layers.dense({ units: 5, activation: 'tanh' }),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
}
function textNet(): Model {
  return sequential([
    layers.embedding({ inputDim: 7, outputDim: 4, inputLength: 5 }),
    layers.dense({ units: 3, activation: 'tanh' }),
    layers.globalAveragePooling1d(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
}

/**
 * Embedding → LSTM (last output) → Dense, as the lstm preset; and an LSTM over float steps, read backwards, every
 * output pooled. Their weights are scaled up from the initial ones so that h is far from 0 and the recurrent kernel's
 * share of each example's gradient is large: a rule that got U wrong would be caught.
 */
function lstmNet(): Model {
  const model = sequential([
    layers.embedding({ inputDim: 7, outputDim: 4, inputLength: 5 }),
    layers.lstm({ units: 3 }),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  scaleWeights(model, [20, 3, 1]);
  return model;
}
function lstmSequenceNet(): Model {
  const model = sequential([
    layers.lstm({ units: 4, returnSequences: true, goBackwards: true, inputShape: [6, 3] }),
    layers.dense({ units: 2, activation: 'tanh' }),
    layers.globalAveragePooling1d(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  scaleWeights(model, [3, 1, 1, 1]);
  return model;
}
function scaleWeights(model: Model, factors: number[]): void {
  model.net.layers.forEach((layer, i) => {
    for (const w of layer.trainableWeights) (w.read() as Variable).assign(tf.tidy(() => tf.mul(w.read(), factors[i]!)));
  });
}

function data(model: Model, n: number, seed: number): { x: Tensor; y: Tensor } {
  const next = rng(seed);
  const shape = [n, ...(model.net.inputs[0]!.shape.slice(1) as number[])];
  const size = shape.reduce((a, b) => a * b, 1);
  const text = model.net.layers[0]!.getClassName() === 'Embedding';
  const x = text
    ? tf.tensor(
        Int32Array.from({ length: size }, () => Math.floor(next() * 7)),
        shape,
        'int32',
      )
    : tf.tensor(
        Float32Array.from({ length: size }, () => next() * 2 - 1),
        shape,
      );
  return {
    x,
    y: tf.tensor1d(
      Int32Array.from({ length: n }, () => Math.floor(next() * 3)),
      'int32',
    ),
  };
}

const spec = (model: Model, l2NormClip: number, noiseMultiplier: number, expectedBatchSize: number): DpStepSpec => ({
  layers: model.net.layers as Layer[],
  dp: { l2NormClip, noiseMultiplier },
  loss: sparseCategoricalCrossentropy,
  expectedBatchSize,
  accuracy: false,
});

/** The change of every weight after one DP step with SGD at learning rate 1: minus the DP gradient. */
function dpGradient(model: Model, s: DpStepSpec, x: Tensor, y: Tensor, mask: number[]): Float32Array {
  const variables = model.net.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as Variable));
  const before = variables.map((v) => v.dataSync().slice());
  const optimizer = new DpSgd(s.dp, 1);
  tf.tidy(() => dpTrainValues(s, optimizer, x, y, tf.tensor1d(mask)));
  const after = variables.map((v) => v.dataSync());
  variables.forEach((v, i) => v.assign(tf.tensor(before[i]!, v.shape))); // restore for the next call
  return Float32Array.from(before.flatMap((b, i) => Array.from(b, (value, j) => value - after[i]![j]!)));
}

/** Σᵢ clip(∇Lᵢ) / B by a loop over the examples, each with its own backward pass. */
function naiveGradient(model: Model, x: Tensor, y: Tensor, clip: number, expected: number): Float32Array {
  const variables = model.net.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as Variable));
  let sum: Float32Array | undefined;
  for (let i = 0; i < x.shape[0]!; i++) {
    const g = tf.tidy(() => {
      const xi = x.slice(i, 1);
      const yi = y.slice(i, 1);
      const { grads } = tf.variableGrads(() => sparseCategoricalCrossentropy(yi, model.forward([xi], true)[0]!).sum() as Scalar, variables);
      const flat = tf.concat(variables.map((v) => grads[v.name]!.reshape([-1])));
      return tf.mul(flat, tf.minimum(1, tf.div(clip, tf.norm(flat)))).dataSync() as Float32Array;
    });
    sum = sum ? sum.map((s, j) => s + g[j]!) : g;
  }
  return sum!.map((s) => s / expected);
}

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));

describe('DP-SGD step', () => {
  for (const [name, make] of [
    ['Conv2D + Dense', imageNet],
    ['Embedding + Dense over a sequence', textNet],
    ['Embedding + LSTM (last output) + Dense', lstmNet],
    ['LSTM (every output, goBackwards) + Dense over a sequence', lstmSequenceNet],
  ] as const) {
    it(`${name}: equals a naive per-example loop (no noise)`, () => {
      setSeed(1);
      const model = make();
      const { x, y } = data(model, 6, 2);
      const expected = naiveGradient(model, x, y, 0.05, 4);
      const actual = dpGradient(model, spec(model, 0.05, 0, 4), x, y, [1, 1, 1, 1, 1, 1]);
      const err = norm(actual.map((a, i) => a - expected[i]!));
      expect(err / norm(expected)).toBeLessThan(1e-4);
      tf.dispose([x, y]);
    });
  }

  /** Each example's update alone (the others masked out) has norm ≤ C; example 5's, whose gradient is huge, exactly C. */
  function expectContributionsBounded(model: Model, x: Tensor, y: Tensor, clip: number): void {
    const contributions = Array.from({ length: 8 }, (_, j) =>
      norm(
        dpGradient(
          model,
          spec(model, clip, 0, 1),
          x,
          y,
          Array.from({ length: 8 }, (_, i) => (i === j ? 1 : 0)),
        ),
      ),
    );
    for (const c of contributions) expect(c).toBeLessThanOrEqual(clip * (1 + 1e-4));
    expect(contributions[5]).toBeCloseTo(clip, 4); // clipped to exactly C
    const all = norm(dpGradient(model, spec(model, clip, 0, 1), x, y, Array(8).fill(1)));
    expect(all).toBeLessThanOrEqual(8 * clip * (1 + 1e-4));
  }

  it("bounds each example's contribution by C, also with one huge-gradient example in the batch", () => {
    setSeed(3);
    const model = imageNet();
    const { x: base, y } = data(model, 8, 4);
    // Example 5's input is scaled by 1e4: its gradient is orders of magnitude larger than the others'.
    const scale = tf.tensor([1, 1, 1, 1, 1, 1e4, 1, 1]).reshape([8, 1, 1, 1]);
    const x = tf.mul(base, scale);
    expectContributionsBounded(model, x, y, 0.1);
    tf.dispose([base, y, scale, x]);
  });

  it("bounds each example's contribution by C through an LSTM, with one huge-gradient example", () => {
    setSeed(13);
    const model = lstmSequenceNet();
    // The LSTM's kernel row of input feature 0 is zeroed, so that feature does not saturate the gates whatever its
    // size, and example 5's feature 0 is scaled by 1e4: its gradient for that row is ~1e4 times the others'.
    const kernel = model.net.layers[0]!.trainableWeights[0]!.read() as Variable;
    kernel.assign(tf.tidy(() => tf.mul(kernel, tf.tensor2d([0, 1, 1], [3, 1]))));
    const { x: base, y } = data(model, 8, 14);
    const scale = tf.tidy(() => tf.add(1, tf.mul(tf.oneHot([5], 8).reshape([8, 1, 1]), tf.tensor1d([1e4 - 1, 0, 0]))));
    const x = tf.mul(base, scale);
    const huge = naiveGradient(model, x.slice(5, 1), y.slice(5, 1), Number.POSITIVE_INFINITY, 1);
    const typical = naiveGradient(model, x.slice(0, 1), y.slice(0, 1), Number.POSITIVE_INFINITY, 1);
    expect(norm(huge) / norm(typical)).toBeGreaterThan(100);
    expectContributionsBounded(model, x, y, 0.1);
    tf.dispose([base, y, scale, x]);
  });

  it('adds Gaussian noise of standard deviation σ·C / expected batch size', () => {
    setSeed(5);
    const model = sequential([
      layers.dense({ units: 100, inputShape: [100], activation: 'tanh' }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    const { x, y } = data(model, 4, 6);
    // No example in the batch (an empty Poisson draw): the update is the noise alone.
    const noise = dpGradient(model, spec(model, 0.5, 2, 8), x, y, [0, 0, 0, 0]);
    const mean = noise.reduce((s, a) => s + a, 0) / noise.length;
    const std = Math.sqrt(noise.reduce((s, a) => s + (a - mean) ** 2, 0) / noise.length);
    expect(noise.length).toBeGreaterThan(10_000);
    expect(Math.abs(mean)).toBeLessThan(0.01 * 0.125);
    expect(std / ((2 * 0.5) / 8)).toBeCloseTo(1, 1); // within ~2% (10,403 samples: the estimate's sd is 0.7%)
    tf.dispose([x, y]);
  });

  it('refuses BatchNormalization (it mixes examples) and weighted layers without a rule, naming them', () => {
    const bn = sequential([layers.dense({ units: 4, inputShape: [3] }), layers.batchNormalization(), layers.dense({ units: 2 })]);
    expect(() => checkDpLayers(bn.net.layers as Layer[])).toThrow(DpLayerError);
    expect(() => checkDpLayers(bn.net.layers as Layer[])).toThrow(/BatchNormalization.*mixes the examples/);
    const gru = sequential([layers.gru({ units: 2, inputShape: [3, 2] }), layers.dense({ units: 1 })]);
    expect(() => checkDpLayers(gru.net.layers as Layer[])).toThrow(/GRU.*no per-example gradient rule/);
    const lstm = sequential([layers.lstm({ units: 2, inputShape: [3, 2] }), layers.dense({ units: 1 })]);
    expect(() => checkDpLayers(lstm.net.layers as Layer[])).not.toThrow();
    // An LSTM whose cell drops out inputs differs per call in a way the per-example rule does not follow.
    const dropout = sequential([layers.lstm({ units: 2, dropout: 0.2, inputShape: [3, 2] }), layers.dense({ units: 1 })]);
    expect(() => checkDpLayers(dropout.net.layers as Layer[])).toThrow(/LSTM.*dropout/);
    const masked = sequential([layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, inputLength: 3 }), layers.lstm({ units: 2 })]);
    expect(() => checkDpLayers(masked.net.layers as Layer[])).toThrow(/maskZero/);
  });
});

describe('Poisson sampling', () => {
  it('draws each example with probability q: batch sizes binomial around the batch size', () => {
    setSeed(7);
    const n = 2000;
    const x = tf.zeros([n, 1]);
    const source = new ArrayBatches([x], [], 50, false);
    source.stepsPerEpoch = 400;
    const sizes: number[] = [];
    const seen = new Set<number>();
    for (const { rows, size } of source.poissonRows()) {
      sizes.push(size);
      expect(rows.length).toBe(size);
      for (const r of rows) seen.add(r);
    }
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / (sizes.length - 1);
    // Binomial(2000, 0.025): mean 50, variance 48.75; 400 draws: mean within ±1.4 (4 sd), variance within ±30%.
    expect(Math.abs(mean - 50)).toBeLessThan(1.4);
    expect(variance / 48.75).toBeGreaterThan(0.7);
    expect(variance / 48.75).toBeLessThan(1.3);
    expect(new Set(sizes).size).toBeGreaterThan(10); // sizes do vary
    expect(seen.size).toBeGreaterThan(0.99 * n);
    x.dispose();
  });
});

describe('fit with dpAdam / dpSgd', () => {
  it('trains through compile like any optimizer, in one graph, with Poisson batches', async () => {
    setSeed(11);
    const next = rng(12);
    const n = 512;
    const xs = Float32Array.from({ length: n * 4 }, () => next() * 2 - 1);
    const ys = Int32Array.from({ length: n }, (_, i) => (xs[i * 4]! + xs[i * 4 + 1]! > 0 ? 1 : 0));
    const model = sequential([
      layers.dense({ units: 8, activation: 'tanh', inputShape: [4] }),
      layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({
      optimizer: { name: 'dpAdam', learningRate: 0.05, l2NormClip: 1, noiseMultiplier: 0.5 },
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit({ data: xs, shape: [n, 4] }, { data: ys, shape: [n] }, { epochs: 4, batchSize: 64, verbose: 0 });
    expect(history.history.accuracy!.at(-1)).toBeGreaterThan(0.85);
    expect(model.optimizer.iterations).toBe(4 * 8);
    expect(model.graphCalls.graph).toBeGreaterThan(0);
    model.compile({
      optimizer: { name: 'dpSgd', learningRate: 0.5, l2NormClip: 1, noiseMultiplier: 0.5 },
      loss: 'sparseCategoricalCrossentropy',
    });
    await model.fit({ data: xs, shape: [n, 4] }, { data: ys, shape: [n] }, { epochs: 1, batchSize: 64, verbose: 0 });
    // dispose works (tfjs's SGD dispose read a rate tensor DpSgd never makes: `dl export --format keras` of a DP-SGD run threw).
    expect(() => model.optimizer.dispose()).not.toThrow();
    expect(() => model.compile({ optimizer: { name: 'dpAdam' }, loss: 'sparseCategoricalCrossentropy' })).toThrow(
      /l2NormClip and noiseMultiplier/,
    );
  });
});
