import { afterEach, describe, expect, it, vi } from 'vitest';
import { Callback, EarlyStopping, LearningRateScheduler, setSeed, tf } from '../src/index.js';
import { compiledClassifier, separable, weightsOf, Script } from './helpers.js';

/** The model's weights at the end of every epoch, taken after the callbacks listed before it. */
class WeightRecorder extends Callback {
  byEpoch: number[][][] = [];
  override onEpochEnd(epoch: number): void {
    this.byEpoch[epoch] = weightsOf(this.model);
  }
}

const { x, y } = separable(24, 1);
const fitOptions = { batchSize: 8, verbose: 0 as const };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('EarlyStopping', () => {
  it('stops once the monitor has not improved for `patience` epochs', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const stop = new EarlyStopping({ patience: 2 });
    // Best at epoch 2, then two epochs without improvement: stop at the end of epoch 4.
    const script = new Script({ val_loss: [1, 0.8, 0.5, 0.6, 0.7, 0.4, 0.3, 0.2] });
    const history = await model.fit(x, y, { ...fitOptions, epochs: 8, callbacks: [script, stop] });
    expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(stop.stoppedEpoch).toBe(4);
    expect(stop.best).toBe(0.5);
    expect(stop.bestEpoch).toBe(2);
    expect(model.stopTraining).toBe(true);
  });

  it("watches fit's own validation loss by default, and restores the epoch where it was lowest", async () => {
    setSeed(12);
    const model = compiledClassifier();
    // Validating on the training points with flipped labels: the better the model learns, the worse val_loss gets.
    const flipped = { data: y.data.map((v) => 1 - v), shape: y.shape };
    const recorder = new WeightRecorder();
    const stop = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const history = await model.fit(x, y, { ...fitOptions, epochs: 20, validationData: [x, flipped], callbacks: [stop, recorder] });
    const valLoss = history.history['val_loss']!;
    expect(valLoss.length).toBe(history.epoch.length);
    expect(history.epoch.length).toBeLessThan(20);
    const best = valLoss.indexOf(Math.min(...valLoss));
    expect(stop.bestEpoch).toBe(best);
    expect(stop.stoppedEpoch).toBe(best + 2);
    expect(weightsOf(model)).toEqual(recorder.byEpoch[best]);
  });

  it('with patience 0 stops at the first epoch that does not improve', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const history = await model.fit(x, y, {
      ...fitOptions,
      epochs: 6,
      callbacks: [new Script({ val_loss: [3, 2, 2, 1] }), new EarlyStopping()],
    });
    expect(history.epoch).toEqual([0, 1, 2]);
  });

  it('restores the weights of the best epoch when it stops', async () => {
    setSeed(2);
    const model = compiledClassifier();
    const recorder = new WeightRecorder();
    const stop = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const script = new Script({ val_loss: [1, 0.5, 0.7, 0.8, 0.1] });
    await model.fit(x, y, { ...fitOptions, epochs: 5, callbacks: [script, stop, recorder] });
    expect(stop.stoppedEpoch).toBe(3);
    expect(recorder.byEpoch).toHaveLength(4);
    expect(recorder.byEpoch[3]).not.toEqual(recorder.byEpoch[1]);
    expect(weightsOf(model)).toEqual(recorder.byEpoch[1]);
  });

  it('without restoreBestWeights keeps the last weights', async () => {
    setSeed(2);
    const model = compiledClassifier();
    const recorder = new WeightRecorder();
    const script = new Script({ val_loss: [1, 0.5, 0.7, 0.8, 0.1] });
    await model.fit(x, y, { ...fitOptions, epochs: 5, callbacks: [script, new EarlyStopping({ patience: 2 }), recorder] });
    expect(weightsOf(model)).toEqual(recorder.byEpoch[3]);
  });

  it('as Keras 3, also restores the best weights when training runs to the last epoch', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const recorder = new WeightRecorder();
    const stop = new EarlyStopping({ patience: 5, restoreBestWeights: true });
    await model.fit(x, y, { ...fitOptions, epochs: 4, callbacks: [new Script({ val_loss: [1, 0.2, 0.3, 0.4] }), stop, recorder] });
    expect(stop.stoppedEpoch).toBe(0);
    expect(weightsOf(model)).toEqual(recorder.byEpoch[1]);
  });

  it('monitors a training metric through a real fit: the loss stops improving once the learning rate is 0', async () => {
    setSeed(4);
    const model = compiledClassifier(0.05);
    const freeze = new LearningRateScheduler((epoch) => (epoch < 2 ? 0.05 : 0));
    const stop = new EarlyStopping({ monitor: 'loss', patience: 1 });
    // With frozen weights and a fixed order, epochs 3, 4, … repeat epoch 2's loss exactly: no improvement.
    const history = await model.fit(x, y, { ...fitOptions, shuffle: false, epochs: 10, callbacks: [freeze, stop] });
    const losses = history.history['loss']!;
    expect(losses[1]!).toBeLessThan(losses[0]!);
    expect(losses[3]).toBe(losses[2]);
    expect(history.epoch.length).toBeLessThanOrEqual(4);
    expect(stop.stoppedEpoch).toBe(history.epoch.length - 1);
  });

  it('counts only improvements larger than minDelta', async () => {
    setSeed(5);
    const model = compiledClassifier();
    const stop = new EarlyStopping({ patience: 1, minDelta: 0.1 });
    const history = await model.fit(x, y, { ...fitOptions, epochs: 6, callbacks: [new Script({ val_loss: [1, 0.95, 0.9, 0.5] }), stop] });
    expect(history.epoch).toEqual([0, 1]);
    expect(stop.best).toBe(1);
  });

  it("maximises metrics named like accuracy in 'auto' mode, and follows an explicit mode", async () => {
    setSeed(6);
    const model = compiledClassifier();
    const auto = new EarlyStopping({ monitor: 'val_accuracy' });
    expect(auto.mode).toBe('max');
    let history = await model.fit(x, y, {
      ...fitOptions,
      epochs: 5,
      callbacks: [new Script({ val_accuracy: [0.5, 0.7, 0.6, 0.9] }), auto],
    });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(auto.best).toBe(0.7);

    const explicit = new EarlyStopping({ monitor: 'score', mode: 'max' });
    history = await model.fit(x, y, { ...fitOptions, epochs: 5, callbacks: [new Script({ score: [1, 2, 3, 2] }), explicit] });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(new EarlyStopping({ monitor: 'val_loss' }).mode).toBe('min');
  });

  it('stops `patience` epochs in when the baseline is never beaten, and restores the best of those epochs', async () => {
    setSeed(7);
    const model = compiledClassifier();
    const recorder = new WeightRecorder();
    const stop = new EarlyStopping({ patience: 3, baseline: 0.1, restoreBestWeights: true });
    const history = await model.fit(x, y, {
      ...fitOptions,
      epochs: 10,
      callbacks: [new Script({ val_loss: [0.9, 0.5, 0.6, 0.3, 0.2] }), stop, recorder],
    });
    // Every epoch improves on the best so far except epoch 2, but none beats the baseline: the wait never resets.
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(weightsOf(model)).toEqual(recorder.byEpoch[1]);
  });

  it('ignores the epochs before startFromEpoch', async () => {
    setSeed(8);
    const model = compiledClassifier();
    const stop = new EarlyStopping({ startFromEpoch: 3 });
    const history = await model.fit(x, y, { ...fitOptions, epochs: 8, callbacks: [new Script({ val_loss: [1, 2, 3, 4, 3, 3.5] }), stop] });
    expect(history.epoch).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stop.bestEpoch).toBe(4);
  });

  it('warns once, naming the available metrics, when the monitor is missing, and trains on', async () => {
    setSeed(9);
    const model = compiledClassifier();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const history = await model.fit(x, y, { ...fitOptions, epochs: 3, callbacks: [new EarlyStopping({ restoreBestWeights: true })] });
    const warnings = stderr.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('EarlyStopping'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('`val_loss`');
    expect(warnings[0]).toContain('loss, accuracy');
    expect(history.epoch).toEqual([0, 1, 2]);
  });

  it('prints when it stops and restores with verbose 1', async () => {
    setSeed(10);
    const model = compiledClassifier();
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 5,
      callbacks: [new Script({ val_loss: [1, 0.5, 0.6] }), new EarlyStopping({ restoreBestWeights: true, verbose: 1 })],
    });
    const text = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toContain('Epoch 3: early stopping');
    expect(text).toContain('Restoring model weights from the end of the best epoch: 2.');
  });

  it('leaks no tensors: the kept best weights are released, across fits and when fit fails', async () => {
    setSeed(11);
    const model = compiledClassifier();
    const stop = new EarlyStopping({ patience: 1, restoreBestWeights: true });
    const script = new Script({ val_loss: [1, 0.5, 0.4, 0.6, 0.7] });
    // The first fit creates the optimizer's slot variables; from then on the count must stay put.
    await model.fit(x, y, { ...fitOptions, epochs: 1 });
    const before = tf.memory().numTensors;
    await model.fit(x, y, { ...fitOptions, epochs: 5, callbacks: [script, stop] });
    expect(stop.stoppedEpoch).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    await model.fit(x, y, { ...fitOptions, epochs: 5, callbacks: [script, stop] });
    expect(tf.memory().numTensors).toBe(before);

    class Fail extends Callback {
      override onEpochEnd(epoch: number): void {
        if (epoch === 1) throw new Error('boom');
      }
    }
    await expect(model.fit(x, y, { ...fitOptions, epochs: 5, callbacks: [script, stop, new Fail()] })).rejects.toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects invalid options', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow('patience must be a whole number ≥ 0, got -1');
    expect(() => new EarlyStopping({ mode: 'up' as never })).toThrow("EarlyStopping: unknown mode 'up'; valid modes: auto, min, max");
  });
});
