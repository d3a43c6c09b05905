import { describe, expect, it } from 'vitest';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import {
  accuracy,
  binaryCrossentropy,
  getLoss,
  getMetric,
  meanSquaredError,
  sequential,
  layers,
  sparseCategoricalCrossentropy,
  tf,
  type LossName,
  type MetricName,
} from '../src/index.js';

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Runs a metric (a scalar) or a loss (per-sample values, as Keras's losses return) on arrays and returns its batch
 * mean, checking the shape and that nothing leaks.
 */
function value(fn: (yTrue: Tensor, yPred: Tensor) => Tensor, yTrue: number[] | number[][], yPred: number[] | number[][]): number {
  const t = tf.tensor(yTrue);
  const p = tf.tensor(yPred);
  const before = tf.memory().numTensors;
  const result = fn(t, p);
  expect(result.shape).toEqual(result.rank === 0 ? [] : [t.shape[0]]);
  expect(tf.memory().numTensors).toBe(before + 1);
  const v = mean(Array.from(result.dataSync()));
  tf.dispose([t, p, result]);
  return v;
}

describe('sparseCategoricalCrossentropy', () => {
  const probs = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.25, 0.5, 0.25],
    [0.05, 0.9, 0.05],
  ];
  const labels = [0, 2, 1, 0];
  const expected = -mean([Math.log(0.7), Math.log(0.6), Math.log(0.5), Math.log(0.05)]);

  it('is the mean negative log-probability of the true class', () => {
    expect(value(sparseCategoricalCrossentropy, labels, probs)).toBeCloseTo(expected, 5);
  });

  it('accepts labels shaped [n, 1]', () => {
    expect(
      value(
        sparseCategoricalCrossentropy,
        labels.map((l) => [l]),
        probs,
      ),
    ).toBeCloseTo(expected, 5);
  });

  it('stays finite when the true class has probability 0', () => {
    const v = value(sparseCategoricalCrossentropy, [1], [[1, 0]]);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo(-Math.log(1e-7), 3);
  });

  it('is near 0 for a confident correct prediction', () => {
    expect(value(sparseCategoricalCrossentropy, [1], [[0, 1]])).toBeLessThan(1e-6);
  });
});

describe('binaryCrossentropy', () => {
  const p = [0.9, 0.2, 0.6, 0.4];
  const labels = [1, 0, 1, 0];
  const expected = -mean([Math.log(0.9), Math.log(0.8), Math.log(0.6), Math.log(0.6)]);

  it('is the mean of -[y log p + (1 - y) log(1 - p)]', () => {
    expect(value(binaryCrossentropy, labels, p)).toBeCloseTo(expected, 5);
  });

  it('accepts predictions and labels shaped [n, 1]', () => {
    expect(
      value(
        binaryCrossentropy,
        labels.map((l) => [l]),
        p.map((v) => [v]),
      ),
    ).toBeCloseTo(expected, 5);
  });

  it('stays finite on probabilities of exactly 0 and 1', () => {
    const v = value(binaryCrossentropy, [1, 0], [0, 1]);
    expect(Number.isFinite(v)).toBe(true);
    // p is clipped to [1e-7, 1 - 1e-7] in float32, where 1 - 1e-7 rounds to 1 - 2^-23.
    const low = Math.fround(1e-7);
    const high = Math.fround(1 - 1e-7);
    expect(v).toBeCloseTo(-(Math.log(low) + Math.log(1 - high)) / 2, 3);
  });
});

describe('meanSquaredError', () => {
  it('is the mean of the squared differences, with labels reshaped to the predictions', () => {
    expect(value(meanSquaredError, [1, 2, 3], [[1.5], [2], [1]])).toBeCloseTo((0.25 + 0 + 4) / 3, 6);
  });
});

describe('accuracy', () => {
  it('compares the argmax of class probabilities with integer labels', () => {
    const probs = [
      [0.7, 0.2, 0.1], // 0
      [0.1, 0.3, 0.6], // 2
      [0.25, 0.5, 0.25], // 1
      [0.05, 0.9, 0.05], // 1
      [0.2, 0.2, 0.6], // 2
    ];
    // Right on samples 0, 1 and 3.
    expect(value(accuracy, [0, 2, 0, 1, 1], probs)).toBeCloseTo(3 / 5, 6);
    expect(value(accuracy, [[0], [2], [0], [1], [1]], probs)).toBeCloseTo(3 / 5, 6);
  });

  it('thresholds a single probability at 0.5 (exactly 0.5 counts as class 0)', () => {
    const p = [0.9, 0.4, 0.51, 0.5, 0.1];
    const labels = [1, 1, 1, 0, 1];
    // Predicted classes 1, 0, 1, 0, 0: right on samples 0, 2 and 3.
    expect(value(accuracy, labels, p)).toBeCloseTo(3 / 5, 6);
    expect(
      value(
        accuracy,
        labels.map((l) => [l]),
        p.map((v) => [v]),
      ),
    ).toBeCloseTo(3 / 5, 6);
  });

  it('is 1 when all are right and 0 when all are wrong', () => {
    expect(
      value(
        accuracy,
        [1, 0],
        [
          [0.2, 0.8],
          [0.6, 0.4],
        ],
      ),
    ).toBe(1);
    expect(
      value(
        accuracy,
        [0, 1],
        [
          [0.2, 0.8],
          [0.6, 0.4],
        ],
      ),
    ).toBe(0);
  });
});

describe('looking losses, metrics and optimizers up by name', () => {
  it('resolves the Keras names and passes functions through', () => {
    expect(getLoss('sparseCategoricalCrossentropy')).toBe(sparseCategoricalCrossentropy);
    expect(getLoss('binaryCrossentropy')).toBe(binaryCrossentropy);
    expect(getLoss('meanSquaredError')).toBe(meanSquaredError);
    const custom = (yTrue: Tensor, yPred: Tensor) => meanSquaredError(yTrue, yPred);
    expect(getLoss(custom)).toBe(custom);

    expect(getMetric('accuracy')).toEqual({ name: 'accuracy', fn: accuracy });
    function myMetric(yTrue: Tensor, yPred: Tensor): Scalar {
      return accuracy(yTrue, yPred);
    }
    expect(getMetric(myMetric)).toEqual({ name: 'myMetric', fn: myMetric });
  });

  it('rejects an unknown loss, listing the valid ones', () => {
    expect(() => getLoss('crossentropy' as LossName)).toThrow(
      "unknown loss 'crossentropy'; valid losses: sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError",
    );
  });

  it('rejects an unknown metric, listing the valid ones', () => {
    expect(() => getMetric('acc' as MetricName)).toThrow("unknown metric 'acc'; valid metrics: accuracy");
  });

  it('compile rejects unknown loss, metric and optimizer names with the valid ones', () => {
    const model = sequential([layers.dense({ units: 2, activation: 'softmax', inputShape: [2] })]);
    expect(() => model.compile({ optimizer: 'adam', loss: 'hinge' as LossName })).toThrow(
      /unknown loss 'hinge'; valid losses: sparseCategoricalCrossentropy/,
    );
    expect(() => model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['auc' as MetricName] })).toThrow(
      /unknown metric 'auc'; valid metrics: accuracy/,
    );
    expect(() => model.compile({ optimizer: 'adagrad' as 'adam', loss: 'binaryCrossentropy' })).toThrow(
      "unknown optimizer 'adagrad'; valid optimizers: adam, sgd, rmsprop",
    );
  });
});
