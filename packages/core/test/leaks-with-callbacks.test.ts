// No tensor accumulates from epoch to epoch with validation and every built-in callback on: the live tensor count
// at the end of each epoch (taken after all the other callbacks) is the same as after the first epoch.
import { join } from 'node:path';
import { readFile, readdir, rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Callback,
  CSVLogger,
  EarlyStopping,
  History,
  ModelCheckpoint,
  ReduceLROnPlateau,
  setSeed,
  tf,
  TerminateOnNaN,
  type BatchStream,
  type StreamBatch,
} from '../src/index.js';
import { compiledClassifier, separable, tempDir } from './helpers.js';

/** Live tensors at the end of every epoch; list it last so that the other callbacks' work is counted. */
class TensorCounter extends Callback {
  counts: number[] = [];
  override onEpochEnd(): void {
    this.counts.push(tf.memory().numTensors);
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await tempDir();
  dirs.push(dir);
  return dir;
}

const train = separable(40, 1);
const val = separable(12, 2);

function valStream(): BatchStream {
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<StreamBatch> {
      yield [val.x, val.y];
    },
  };
}

function allCallbacks(dir: string, checkpoints = true) {
  return {
    stop: new EarlyStopping({ monitor: 'val_loss', patience: 10, restoreBestWeights: true }),
    ...(checkpoints
      ? {
          checkpoint: new ModelCheckpoint({ filepath: join(dir, 'ckpt') }),
          best: new ModelCheckpoint({ filepath: join(dir, 'best'), saveBestOnly: true }),
        }
      : {}),
    plateau: new ReduceLROnPlateau({ monitor: 'val_loss', patience: 1, factor: 0.5, minDelta: 10 }),
    csv: new CSVLogger({ filename: join(dir, 'log.csv') }),
    nan: new TerminateOnNaN(),
    history: new History(),
  };
}

describe('no tensor leaks with validation and callbacks on', () => {
  type Validation = () => [typeof val.x, typeof val.y] | BatchStream;
  const arrays: Validation = () => [val.x, val.y];
  it.each([
    ['[x, y] validation arrays', arrays, true],
    ['a validation stream', valStream, true],
    ['[x, y] validation arrays, without ModelCheckpoint', arrays, false],
  ] as Array<[string, Validation, boolean]>)(
    'with %s: the count after epoch k equals the count after epoch 1, over 5 epochs',
    async (_name, validationData, checkpoints) => {
      setSeed(1);
      const model = compiledClassifier(0.02);
      const dir = await freshDir();
      const callbacks = allCallbacks(dir, checkpoints);
      const counter = new TensorCounter();
      const history = await model.fit(train.x, train.y, {
        epochs: 5,
        batchSize: 8,
        validationData: validationData(),
        verbose: 0,
        callbacks: [...Object.values(callbacks), counter],
      });

      // Every callback really ran.
      expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
      expect(callbacks.history.history['val_loss']).toHaveLength(5);
      expect(history.history['learningRate']!.at(-1)!).toBeLessThan(history.history['learningRate']![0]!);
      expect((await readFile(join(dir, 'log.csv'), 'utf8')).trim().split('\n')).toHaveLength(6);
      expect((await readdir(dir)).sort()).toEqual(checkpoints ? ['best', 'ckpt', 'log.csv'] : ['log.csv']);

      expect(counter.counts).toHaveLength(5);
      expect(counter.counts).toEqual(counter.counts.map(() => counter.counts[0]));
    },
  );

  it('a second fit with all of them on ends with as many tensors as it started with', async () => {
    setSeed(2);
    const model = compiledClassifier(0.02);
    // The first fit creates the optimizer's slots.
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 8, verbose: 0 });
    const dir = await freshDir();
    const before = tf.memory().numTensors;
    await model.fit(train.x, train.y, {
      epochs: 3,
      batchSize: 8,
      validationData: [val.x, val.y],
      verbose: 0,
      callbacks: Object.values(allCallbacks(dir)),
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saving a model (what ModelCheckpoint does every epoch) leaves no tensor behind', async () => {
    setSeed(3);
    const model = compiledClassifier(0.02);
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 8, verbose: 0 });
    const dir = await freshDir();
    const before = tf.memory().numTensors;
    await model.save(join(dir, 'a'));
    await model.save(join(dir, 'b'), { includeOptimizer: true });
    expect(tf.memory().numTensors).toBe(before);
  });
});
