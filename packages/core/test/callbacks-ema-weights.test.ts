import { describe, expect, it } from 'vitest';
import { Callback, EmaWeights, layers, sequential, setSeed, type Model } from '../src/index.js';
import { OptionError } from '../src/errors/index.js';

/** A small two-layer regression; with plain SGD every step moves every weight. */
function regression(optimizer: Parameters<Model['compile']>[0]['optimizer']): Model {
  const model = sequential([layers.dense({ units: 3, activation: 'tanh', inputShape: [2] }), layers.dense({ units: 1 })]);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return model;
}

const xs = { data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), shape: [32, 2] };
const ys = { data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)), shape: [32] };

function flatWeights(model: Model): number[] {
  return model.net.trainableWeights.flatMap((w) => Array.from(w.read().dataSync()));
}

/** Records the trainable weights after every training step. */
class StepWeights extends Callback {
  readonly steps: number[][] = [];
  override onTrainBatchEnd(): void {
    this.steps.push(flatWeights(this.model));
  }
}

/** Keras's average: the first step's weights, then a ← m·a + (1 − m)·w after each later step. */
function expectedAverage(steps: number[][], m: number): number[] {
  let a = steps[0]!;
  for (const w of steps.slice(1)) a = a.map((v, i) => m * v + (1 - m) * w[i]!);
  return a;
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
  expect(worst).toBeLessThan(1e-5);
}

describe('EmaWeights', () => {
  it("leaves the model holding the exponential moving average of every step's weights when fit ends", async () => {
    setSeed(1);
    const model = regression({ name: 'sgd', learningRate: 0.1 });
    const recorder = new StepWeights();
    await model.fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0, callbacks: [recorder, new EmaWeights({ emaMomentum: 0.8 })] });
    expect(recorder.steps.length).toBe(24);
    const final = flatWeights(model);
    expectClose(final, expectedAverage(recorder.steps, 0.8));
    // The average is not the last iterate: the model's weights were replaced.
    expect(Math.max(...final.map((v, i) => Math.abs(v - recorder.steps.at(-1)![i]!)))).toBeGreaterThan(1e-3);
  });

  it('with overwriteOnTrainEnd false keeps the last iterate and hands out the average; a new fit starts a new average', async () => {
    setSeed(2);
    const model = regression({ name: 'adam', learningRate: 0.05 });
    const recorder = new StepWeights();
    const ema = new EmaWeights({ emaMomentum: 0.9, overwriteOnTrainEnd: false });
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [recorder, ema] });
    expectClose(flatWeights(model), recorder.steps.at(-1)!);
    const flat = (tensors: { dataSync(): ArrayLike<number>; dispose(): void }[]) =>
      tensors.flatMap((t) => {
        const values = Array.from(t.dataSync());
        t.dispose();
        return values;
      });
    expectClose(flat(ema.averages()), expectedAverage(recorder.steps, 0.9));

    const second = new StepWeights();
    await model.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [second, ema] });
    expectClose(flat(ema.averages()), expectedAverage(second.steps, 0.9));
    ema.writeAverages();
    expectClose(flatWeights(model), expectedAverage(second.steps, 0.9));
    ema.dispose();
  });

  it("averages DP-SGD's noisy iterates too (Poisson batches, the DP step)", async () => {
    setSeed(3);
    const model = regression({ name: 'dpSgd', learningRate: 0.1, l2NormClip: 1, noiseMultiplier: 1 });
    const recorder = new StepWeights();
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [recorder, new EmaWeights({ emaMomentum: 0.5 })] });
    expect(recorder.steps.length).toBe(8);
    expectClose(flatWeights(model), expectedAverage(recorder.steps, 0.5));
  });

  it('refuses a momentum outside [0, 1) and has no average before training', () => {
    expect(() => new EmaWeights({ emaMomentum: 1 })).toThrow(OptionError);
    expect(() => new EmaWeights({ emaMomentum: -0.1 })).toThrow(/emaMomentum must be in \[0, 1\)/);
    expect(new EmaWeights().emaMomentum).toBe(0.99);
    expect(() => new EmaWeights().averages()).toThrow(/no average yet/);
  });
});
