import { describe, expect, it } from 'vitest';
import { Callback, getLearningRate, LearningRateScheduler, setSeed } from '../src/index.js';
import { compiledClassifier, separable, weightsOf } from './helpers.js';

/** Reads the optimizer's learning rate at the start of every epoch, after the scheduler has run. */
class LearningRateProbe extends Callback {
  seen: number[] = [];
  override onEpochBegin(): void {
    this.seen.push(getLearningRate(this.model.optimizer));
  }
}

describe('LearningRateScheduler', () => {
  it("sets the optimizer's learning rate at the start of each epoch and logs it", async () => {
    setSeed(1);
    const model = compiledClassifier(0.1);
    const { x, y } = separable(16, 1);
    const probe = new LearningRateProbe();
    const schedule = (epoch: number) => 0.1 * 0.5 ** epoch;
    const history = await model.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0, callbacks: [new LearningRateScheduler(schedule), probe] });

    const expected = [0, 1, 2, 3].map(schedule);
    expect(probe.seen).toEqual(expected);
    expect(history.history['learningRate']).toEqual(expected);
    expect(getLearningRate(model.optimizer)).toBe(expected[3]);
  });

  it('passes the schedule the epoch and the current learning rate', async () => {
    setSeed(2);
    const model = compiledClassifier(0.02);
    const { x, y } = separable(16, 2);
    const calls: Array<[number, number]> = [];
    const scheduler = new LearningRateScheduler((epoch, lr) => {
      calls.push([epoch, lr]);
      return lr / 2;
    });
    await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [scheduler] });
    expect(calls).toEqual([
      [0, 0.02],
      [1, 0.01],
      [2, 0.005],
    ]);
  });

  it('counts epochs from initialEpoch when resuming', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const { x, y } = separable(16, 3);
    const epochs: number[] = [];
    const scheduler = new LearningRateScheduler((epoch, lr) => {
      epochs.push(epoch);
      return lr;
    });
    await model.fit(x, y, { epochs: 5, initialEpoch: 3, batchSize: 8, verbose: 0, callbacks: [scheduler] });
    expect(epochs).toEqual([3, 4]);
  });

  it('changes how the model trains: a rate of 0 from epoch 1 on freezes the weights', async () => {
    setSeed(4);
    const model = compiledClassifier();
    const { x, y } = separable(16, 4);
    const initial = weightsOf(model);
    let afterFirstEpoch: number[][] = [];
    class Snapshot extends Callback {
      override onEpochEnd(epoch: number): void {
        if (epoch === 0) afterFirstEpoch = weightsOf(this.model);
      }
    }
    await model.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      callbacks: [new LearningRateScheduler((epoch) => (epoch === 0 ? 0.05 : 0)), new Snapshot()],
    });
    expect(afterFirstEpoch).not.toEqual(initial);
    expect(weightsOf(model)).toEqual(afterFirstEpoch);
  });

  it('rejects a schedule that returns an invalid learning rate', async () => {
    setSeed(5);
    const model = compiledClassifier();
    const { x, y } = separable(16, 5);
    await expect(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler(() => -1)] })).rejects.toThrow(
      'learning rate must be a finite number ≥ 0, got -1',
    );
  });
});
