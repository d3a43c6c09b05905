import { describe, expect, it } from 'vitest';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { layers, sequential, setSeed, tf, type Model } from '../src/index.js';
import { compiledClassifier, separable } from './helpers.js';

const EPSILON = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPSILON), 1 - EPSILON);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** A classifier trained just a little, so that it is right on some samples and wrong on others. */
async function partlyTrained(): Promise<{ model: Model; data: ReturnType<typeof separable> }> {
  setSeed(1);
  const model = compiledClassifier(0.01);
  const data = separable(50, 1);
  await model.fit(data.x, data.y, { epochs: 1, batchSize: 25, verbose: 0 });
  return { model, data };
}

describe('predict', () => {
  it('returns one row of class probabilities per sample, for tensors and plain arrays alike', async () => {
    const { model, data } = await partlyTrained();
    const fromArray = model.predict(data.x);
    const xt = tf.tensor(data.x.data, data.x.shape);
    const fromTensor = model.predict(xt, { batchSize: 7 });

    expect(fromArray.shape).toEqual([50, 2]);
    expect(fromTensor.shape).toEqual([50, 2]);
    const rows = fromArray.arraySync() as number[][];
    const rowsT = fromTensor.arraySync() as number[][];
    rows.forEach((row, i) => {
      expect(row[0]! + row[1]!).toBeCloseTo(1, 5);
      expect(rowsT[i]![0]!).toBeCloseTo(row[0]!, 6);
    });
    tf.dispose([fromArray, fromTensor, xt]);
  });

  it('has the output width of the last layer', () => {
    const model = sequential([layers.dense({ units: 5, inputShape: [3] })]);
    const out = model.predict({ data: new Float32Array(4 * 3), shape: [4, 3] });
    expect(out.shape).toEqual([4, 5]);
    out.dispose();
  });
});

describe('evaluate', () => {
  it("returns {loss, accuracy} matching a hand computation on the model's own predictions", async () => {
    const { model, data } = await partlyTrained();
    const probs = model.predict(data.x);
    const rows = probs.arraySync() as number[][];
    probs.dispose();
    const labels = Array.from(data.y.data);

    const expectedLoss = mean(rows.map((row, i) => -Math.log(clip(row[labels[i]!]!))));
    const expectedAccuracy = mean(rows.map((row, i) => ((row[1]! > row[0]! ? 1 : 0) === labels[i] ? 1 : 0)));
    // The model is neither always right nor always wrong, so the accuracy really is computed.
    expect(expectedAccuracy).toBeGreaterThan(0);
    expect(expectedAccuracy).toBeLessThan(1);

    const result = await model.evaluate(data.x, data.y);
    expect(Object.keys(result)).toEqual(['loss', 'accuracy']);
    expect(result['loss']!).toBeCloseTo(expectedLoss, 5);
    expect(result['accuracy']!).toBeCloseTo(expectedAccuracy, 6);
  });

  it.each([1, 7, 32, 50, 1000])('gives the same averages whatever the batchSize (%i)', async (batchSize) => {
    const { model, data } = await partlyTrained();
    const whole = await model.evaluate(data.x, data.y, { batchSize: 50 });
    const batched = await model.evaluate(data.x, data.y, { batchSize });
    expect(batched['loss']!).toBeCloseTo(whole['loss']!, 5);
    expect(batched['accuracy']!).toBeCloseTo(whole['accuracy']!, 6);
  });

  it('matches a hand computation for a sigmoid output with binary cross-entropy', async () => {
    setSeed(2);
    const model = sequential([layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const { x, y } = separable(40, 2);
    const probs = model.predict(x);
    expect(probs.shape).toEqual([40, 1]);
    const p = Array.from(probs.dataSync());
    probs.dispose();
    const labels = Array.from(y.data);

    const expectedLoss = mean(p.map((pi, i) => -(labels[i]! * Math.log(clip(pi)) + (1 - labels[i]!) * Math.log(1 - clip(pi)))));
    const expectedAccuracy = mean(p.map((pi, i) => ((pi > 0.5 ? 1 : 0) === labels[i] ? 1 : 0)));

    const result = await model.evaluate(x, y, { batchSize: 16 });
    expect(result['loss']!).toBeCloseTo(expectedLoss, 5);
    expect(result['accuracy']!).toBeCloseTo(expectedAccuracy, 6);
  });

  it('reports custom metric functions under their function names, after the loss', async () => {
    const { model, data } = await partlyTrained();
    function meanPositive(_yTrue: Tensor, yPred: Tensor): Scalar {
      return tf.tidy(() => tf.mean(yPred.slice([0, 1], [-1, 1])) as Scalar);
    }
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', meanPositive] });
    expect(model.metricsNames).toEqual(['loss', 'accuracy', 'meanPositive']);

    const probs = model.predict(data.x);
    const expected = mean((probs.arraySync() as number[][]).map((row) => row[1]!));
    probs.dispose();
    const result = await model.evaluate(data.x, data.y, { batchSize: 16 });
    expect(Object.keys(result)).toEqual(['loss', 'accuracy', 'meanPositive']);
    expect(result['meanPositive']!).toBeCloseTo(expected, 5);
  });

  it('does not change the weights', async () => {
    const { model, data } = await partlyTrained();
    const before = model.net.getWeights().map((w) => Array.from(w.dataSync()));
    await model.evaluate(data.x, data.y);
    expect(model.net.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
  });

  it('rejects a batchSize that is not a positive integer', async () => {
    const { model, data } = await partlyTrained();
    await expect(model.evaluate(data.x, data.y, { batchSize: 0 })).rejects.toThrow('batchSize must be a positive integer, got 0');
  });
});
