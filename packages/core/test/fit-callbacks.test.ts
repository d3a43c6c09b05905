import { describe, expect, it } from 'vitest';
import { Callback, setSeed, type Logs } from '../src/index.js';
import { compiledClassifier, Recorder, separable, sleep } from './helpers.js';

/** The hook sequence fit must produce for the given epochs and batches per epoch. */
function expectedEvents(epochs: number[], steps: number): string[] {
  const events = ['trainBegin'];
  for (const e of epochs) {
    events.push(`epochBegin ${e}`);
    for (let b = 0; b < steps; b++) events.push(`batchBegin ${b}`, `batchEnd ${b}`);
    events.push(`epochEnd ${e}`);
  }
  events.push('trainEnd');
  return events;
}

describe('fit: callbacks', () => {
  it('calls the hooks in order with the right epoch and batch indices and training params', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const { x, y } = separable(10, 1);
    const recorder = new Recorder();
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [recorder] });

    expect(recorder.events).toEqual(expectedEvents([0, 1], 3));
    expect(recorder.model).toBe(model);
    expect(recorder.params).toEqual({ epochs: 2, steps: 3, samples: 10, batchSize: 4, initialEpoch: 0, verbose: 0 });
  });

  it.each([
    [10, 4, 3],
    [8, 4, 2],
    [9, 32, 1],
    [5, 1, 5],
  ])('with %i samples and batchSize %i runs params.steps = %i batches per epoch', async (n, batchSize, steps) => {
    setSeed(2);
    const model = compiledClassifier();
    const { x, y } = separable(n, 2);
    const recorder = new Recorder();
    await model.fit(x, y, { epochs: 1, batchSize, verbose: 0, callbacks: [recorder] });

    expect(recorder.params.steps).toBe(steps);
    expect(recorder.params.steps).toBe(Math.ceil(n / batchSize));
    expect(recorder.events).toEqual(expectedEvents([0], steps));
    const sizes = recorder.batchLogs.map((l) => l['size']);
    expect(sizes).toEqual(Array.from({ length: steps }, (_, b) => Math.min(batchSize, n - b * batchSize)));
  });

  it('passes batch logs (batch, size, loss, metrics) and epoch logs averaged over the samples', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const { x, y } = separable(10, 3);
    const recorder = new Recorder();
    const history = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [recorder] });

    expect(recorder.batchLogs).toHaveLength(6);
    recorder.batchLogs.forEach((logs, i) => {
      expect(Object.keys(logs).sort()).toEqual(['accuracy', 'batch', 'loss', 'size']);
      expect(logs['batch']).toBe(i % 3);
      expect(logs['loss']!).toBeGreaterThan(0);
    });
    for (let e = 0; e < 2; e++) {
      const batches = recorder.batchLogs.slice(3 * e, 3 * e + 3);
      const epochLogs = recorder.epochLogs[e]!;
      expect(Object.keys(epochLogs).sort()).toEqual(['accuracy', 'loss']);
      for (const name of ['loss', 'accuracy']) {
        // Size-weighted mean of the batch values: the last batch has only 2 of the 10 samples.
        const mean = batches.reduce((sum, l) => sum + l[name]! * l['size']!, 0) / 10;
        expect(epochLogs[name]!).toBeCloseTo(mean, 10);
        expect(history.history[name]![e]).toBe(epochLogs[name]);
      }
    }
  });

  it('calls several callbacks in the order given, hook by hook', async () => {
    setSeed(4);
    const log: string[] = [];
    class Tagged extends Callback {
      constructor(private readonly tag: string) {
        super();
      }
      override onTrainBegin() {
        log.push(`${this.tag} trainBegin`);
      }
      override onEpochBegin(epoch: number) {
        log.push(`${this.tag} epochBegin ${epoch}`);
      }
      override onTrainBatchEnd(batch: number) {
        log.push(`${this.tag} batchEnd ${batch}`);
      }
      override onEpochEnd(epoch: number) {
        log.push(`${this.tag} epochEnd ${epoch}`);
      }
      override onTrainEnd() {
        log.push(`${this.tag} trainEnd`);
      }
    }
    const model = compiledClassifier();
    const { x, y } = separable(4, 4);
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, callbacks: [new Tagged('A'), new Tagged('B')] });

    expect(log).toEqual(['trainBegin', 'epochBegin 0', 'batchEnd 0', 'epochEnd 0', 'trainEnd'].flatMap((h) => [`A ${h}`, `B ${h}`]));
  });

  it('awaits asynchronous hooks before going on', async () => {
    setSeed(5);
    const log: string[] = [];
    class Slow extends Callback {
      override async onEpochEnd(epoch: number) {
        log.push(`slow start ${epoch}`);
        await sleep(20);
        log.push(`slow done ${epoch}`);
      }
    }
    class Next extends Callback {
      override onEpochBegin(epoch: number) {
        log.push(`begin ${epoch}`);
      }
      override onEpochEnd(epoch: number) {
        log.push(`next end ${epoch}`);
      }
    }
    const model = compiledClassifier();
    const { x, y } = separable(8, 5);
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [new Slow(), new Next()] });

    expect(log).toEqual(['begin 0', 'slow start 0', 'slow done 0', 'next end 0', 'begin 1', 'slow start 1', 'slow done 1', 'next end 1']);
  });

  it('stops after the epoch in which a callback sets model.stopTraining', async () => {
    setSeed(6);
    class StopAfter extends Callback {
      constructor(private readonly lastEpoch: number) {
        super();
      }
      override onEpochEnd(epoch: number, _logs: Logs) {
        if (epoch === this.lastEpoch) this.model.stopTraining = true;
      }
    }
    const model = compiledClassifier();
    const { x, y } = separable(12, 6);
    const recorder = new Recorder();
    const history = await model.fit(x, y, { epochs: 10, batchSize: 4, verbose: 0, callbacks: [new StopAfter(1), recorder] });

    expect(history.epoch).toEqual([0, 1]);
    expect(history.history['loss']).toHaveLength(2);
    // The stopping epoch still completes all its batches, and training ends normally.
    expect(recorder.events).toEqual(expectedEvents([0, 1], 3));

    // The flag does not carry over: the next fit trains all its epochs.
    const next = await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
    expect(next.epoch).toEqual([0, 1, 2]);
  });

  it('stops right after the batch in which a batch hook sets stopTraining, as Keras 3 does', async () => {
    setSeed(7);
    class StopAtBatch extends Callback {
      override onTrainBatchEnd(batch: number) {
        if (batch === 0) this.model.stopTraining = true;
      }
    }
    const model = compiledClassifier();
    const { x, y } = separable(12, 7);
    const recorder = new Recorder();
    const history = await model.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: [new StopAtBatch(), recorder] });

    expect(history.epoch).toEqual([0]);
    expect(recorder.events).toEqual(expectedEvents([0], 1));
  });
});
