import { describe, expect, it } from 'vitest';
import { Callback, History, setSeed, type HistoryJson } from '../src/index.js';
import { compiledClassifier, Recorder, separable, sleep } from './helpers.js';

describe('History', () => {
  it('records the epoch numbers and each epoch’s logs under their names', () => {
    const history = new History();
    history.onEpochBegin();
    history.onEpochEnd(0, { loss: 0.9, accuracy: 0.5 });
    history.onEpochBegin();
    history.onEpochEnd(1, { loss: 0.4, accuracy: 0.75, learningRate: 0.01 });

    expect(history.epoch).toEqual([0, 1]);
    expect(history.history).toEqual({ loss: [0.9, 0.4], accuracy: [0.5, 0.75], learningRate: [0.01] });
    expect(history.epochSeconds).toHaveLength(2);
    for (const s of history.epochSeconds) expect(s).toBeGreaterThanOrEqual(0);
  });

  it('measures the wall time of each epoch in seconds', async () => {
    const history = new History();
    history.onEpochBegin();
    await sleep(120);
    history.onEpochEnd(0, { loss: 1 });
    history.onEpochBegin();
    history.onEpochEnd(1, { loss: 1 });

    expect(history.epochSeconds[0]!).toBeGreaterThanOrEqual(0.1);
    expect(history.epochSeconds[1]!).toBeLessThan(history.epochSeconds[0]!);
  });

  it('serialises to Keras’s layout plus the epoch times', () => {
    const history = new History();
    history.onEpochBegin();
    history.onEpochEnd(3, { loss: 0.5 });
    const json = JSON.parse(JSON.stringify(history)) as HistoryJson;
    expect(json).toEqual({ epoch: [3], history: { loss: [0.5] }, epochSeconds: history.epochSeconds });
  });

  it('returned by fit, holds exactly the epoch logs the callbacks saw', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const { x, y } = separable(30, 1);
    const recorder = new Recorder();
    const history = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [recorder] });

    expect(history.epoch).toEqual([0, 1, 2]);
    expect(history.history['loss']).toEqual(recorder.epochLogs.map((l) => l['loss']));
    expect(history.history['accuracy']).toEqual(recorder.epochLogs.map((l) => l['accuracy']));
    expect(history.toJSON()).toEqual({ epoch: history.epoch, history: history.history, epochSeconds: history.epochSeconds });
  });

  it('returned by fit, times whole epochs, slow batches included', async () => {
    setSeed(2);
    class SlowBatches extends Callback {
      override async onTrainBatchBegin(): Promise<void> {
        await sleep(40);
      }
    }
    const model = compiledClassifier();
    const { x, y } = separable(12, 2);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [new SlowBatches()] });

    expect(history.epochSeconds).toHaveLength(2);
    // 3 batches × 40 ms each.
    for (const s of history.epochSeconds) expect(s).toBeGreaterThanOrEqual(0.11);
  });

  it('is a fresh History for every fit', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const { x, y } = separable(12, 3);
    const first = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const second = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(second).not.toBe(first);
    expect(first.epoch).toEqual([0, 1]);
    expect(second.epoch).toEqual([0]);
    expect(second.history['loss']).toHaveLength(1);
  });
});
