import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupAndRestore,
  Callback,
  layers,
  ModelFileError,
  randomState,
  sequential,
  setRandomState,
  setSeed,
  type HistoryJson,
  type Model,
} from '../src/index.js';
import { compiledClassifier, separable, tempDir, weightsOf } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const { x, y } = separable(48, 2);
const EPOCHS = 4;

/** A classifier with dropout, so a resumed run must also continue the dropout seeds' stream. */
function dropoutClassifier(): Model {
  const model = sequential([
    layers.dense({ units: 16, activation: 'relu', inputShape: [2] }),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: { name: 'adam', learningRate: 0.02 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Throws at the first batch of `epoch`: a crash mid-run. */
class CrashAt extends Callback {
  constructor(private readonly epoch: number) {
    super();
  }
  private current = 0;
  override onEpochBegin(epoch: number): void {
    this.current = epoch;
  }
  override onTrainBatchEnd(): void {
    if (this.current === this.epoch) throw new Error('crash');
  }
}

const withoutSeconds = (h: HistoryJson) => ({ epoch: h.epoch, history: h.history });

describe('BackupAndRestore', () => {
  it('continues a crashed seeded fit after its last finished epoch: history and weights equal the uninterrupted run exactly', async () => {
    setSeed(11);
    const straight = dropoutClassifier();
    const whole = new BackupAndRestore({ backupDir: join(root, 'straight') });
    await straight.fit(x, y, { epochs: EPOCHS, batchSize: 8, verbose: 0, callbacks: [whole] });

    setSeed(11);
    const backupDir = join(root, 'crashed');
    const first = dropoutClassifier();
    const error = await first
      .fit(x, y, { epochs: EPOCHS, batchSize: 8, verbose: 0, callbacks: [new BackupAndRestore({ backupDir }), new CrashAt(2)] })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('crash');
    expect((await BackupAndRestore.readState(first, backupDir))?.epoch).toBe(2);

    // A new process would start over: another seed, a new model; the backup brings back weights, optimizer and streams.
    setSeed(999);
    const second = dropoutClassifier();
    const backup = new BackupAndRestore({ backupDir });
    const epochsRun: number[] = [];
    const rest = await second.fit(x, y, {
      epochs: EPOCHS,
      batchSize: 8,
      verbose: 0,
      callbacks: [
        backup,
        new (class extends Callback {
          override onEpochBegin(e: number) {
            epochsRun.push(e);
          }
        })(),
      ],
    });

    expect(backup.restoredEpoch).toBe(2);
    expect(epochsRun).toEqual([2, 3]);
    expect(rest.epoch).toEqual([2, 3]);
    expect(withoutSeconds(backup.history)).toEqual(withoutSeconds(whole.history));
    expect(weightsOf(second)).toEqual(weightsOf(straight));
    // Training ended whole: the backup is gone (deleteCheckpoint defaults to true).
    expect(existsSync(backupDir)).toBe(false);
    expect(existsSync(join(root, 'straight'))).toBe(false);
  });

  it('keeps the backup with deleteCheckpoint: false, and a later fit with nothing left runs no epoch', async () => {
    const backupDir = join(root, 'kept');
    const model = compiledClassifier();
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      callbacks: [new BackupAndRestore({ backupDir, deleteCheckpoint: false })],
    });
    expect(existsSync(join(backupDir, 'model.json'))).toBe(true);
    const before = weightsOf(model);
    const again = await model.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      callbacks: [new BackupAndRestore({ backupDir, deleteCheckpoint: false })],
    });
    expect(again.epoch).toEqual([]);
    expect(weightsOf(model)).toEqual(before);
    // More epochs: continues after epoch 2.
    const more = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [new BackupAndRestore({ backupDir })] });
    expect(more.epoch).toEqual([2]);
    expect(existsSync(backupDir)).toBe(false);
  });

  it('does not back up an epoch cut short, and keeps the backup then', async () => {
    const backupDir = join(root, 'stopped');
    const model = compiledClassifier();
    const stopMidSecondEpoch = new (class extends Callback {
      override onTrainBatchEnd(batch: number): void {
        if (this.model.stopTraining === false && batch === 1 && this.epochs++ === 1) this.model.stopTraining = true;
      }
      epochs = 0;
    })();
    // 48 samples at batch 8: 6 batches an epoch; batch 1 ends each epoch's second batch.
    await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, callbacks: [new BackupAndRestore({ backupDir }), stopMidSecondEpoch] });
    expect((await BackupAndRestore.readState(model, backupDir))?.epoch).toBe(1);
  });

  it('refuses a backup of another network before changing anything', async () => {
    const backupDir = join(root, 'other');
    await compiledClassifier(0.05, 8).fit(x, y, {
      epochs: 1,
      batchSize: 16,
      verbose: 0,
      callbacks: [new BackupAndRestore({ backupDir, deleteCheckpoint: false })],
    });
    const wider = compiledClassifier(0.05, 12);
    const before = weightsOf(wider);
    const error = await wider
      .fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, callbacks: [new BackupAndRestore({ backupDir })] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(/shape \[2, 8\].*\[2, 12\].*another network/);
    expect(weightsOf(wider)).toEqual(before);
  });
});

describe('randomState / setRandomState', () => {
  it('continues setSeed streams exactly, through JSON', () => {
    setSeed(5);
    Math.random();
    const state = JSON.parse(JSON.stringify(randomState()));
    const expected = [Math.random(), Math.random()];
    setSeed(6);
    setRandomState(state);
    expect([Math.random(), Math.random()]).toEqual(expected);
  });

  it('names what is wrong with a state that is not one', () => {
    expect(() => setRandomState({ global: { i: 0, j: 0, S: [] }, shuffle: { i: 0, j: 0, S: [] } })).toThrow(/not a random state/);
  });
});
