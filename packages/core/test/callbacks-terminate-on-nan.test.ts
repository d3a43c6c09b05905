import { afterEach, describe, expect, it, vi } from 'vitest';
import { layers, sequential, setSeed, TerminateOnNaN, type Model } from '../src/index.js';
import { Recorder } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A one-weight linear regression trained with SGD at an absurd learning rate: its loss overflows within a few batches. */
function explodingModel(): Model {
  const model = sequential([layers.dense({ units: 1, inputShape: [1] })]);
  model.compile({ optimizer: { name: 'sgd', learningRate: 1e30 }, loss: 'meanSquaredError' });
  return model;
}

describe('TerminateOnNaN', () => {
  it('stops training after a batch whose loss is NaN or infinite, and says so on stderr', async () => {
    setSeed(1);
    const model = explodingModel();
    const xs = { data: Float32Array.from({ length: 64 }, (_, i) => i / 8), shape: [64, 1] };
    const ys = { data: Float32Array.from({ length: 64 }, (_, i) => i / 4), shape: [64] };
    const recorder = new Recorder();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const history = await model.fit(xs, ys, {
      epochs: 5,
      batchSize: 4,
      shuffle: false,
      verbose: 0,
      callbacks: [new TerminateOnNaN(), recorder],
    });

    const firstBad = recorder.batchLogs.findIndex((l) => !Number.isFinite(l.loss!));
    expect(firstBad).toBeGreaterThanOrEqual(0);
    expect(firstBad).toBeLessThan(16); // within the first epoch
    const messages = stderr.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('Invalid loss'));
    expect(messages[0]).toBe(`Batch ${firstBad}: Invalid loss, terminating training\n`);
    expect(model.stopTraining).toBe(true);
    // No epoch after the one with the invalid loss.
    expect(recorder.events).not.toContain('epochBegin 1');
    expect(history.epoch.length).toBeLessThanOrEqual(1);
  });

  it('checks each batch loss by hand: finite or absent losses leave training running', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const callback = new TerminateOnNaN();
    const model = { stopTraining: false } as Model;
    callback.setModel(model);
    callback.onTrainBatchEnd(0, { batch: 0, size: 4, loss: 1.5 });
    callback.onTrainBatchEnd(1, { batch: 1, size: 4 });
    expect(model.stopTraining).toBe(false);
    callback.onTrainBatchEnd(2, { batch: 2, size: 4, loss: Infinity });
    expect(model.stopTraining).toBe(true);
    model.stopTraining = false;
    callback.onTrainBatchEnd(3, { batch: 3, size: 4, loss: -Infinity });
    expect(model.stopTraining).toBe(true);
    model.stopTraining = false;
    callback.onTrainBatchEnd(7, { batch: 7, size: 4, loss: NaN });
    expect(model.stopTraining).toBe(true);
    expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([
      'Batch 2: Invalid loss, terminating training\n',
      'Batch 3: Invalid loss, terminating training\n',
      'Batch 7: Invalid loss, terminating training\n',
    ]);
  });
});
