import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { Callback, checkpointAsidePath, loadModel, ModelCheckpoint, recoverCheckpoint, setSeed, tf, type Model } from '../src/index.js';
import { formatFilepath } from '../src/callbacks/model-checkpoint.js';
import { compiledClassifier, separable, tempDir, Script } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const { x, y } = separable(24, 1);
const fitOptions = { batchSize: 8, verbose: 0 as const, shuffle: false };

function predictions(model: Model): number[] {
  const out = model.predict(x);
  const first: Tensor = Array.isArray(out) ? out[0]! : out;
  const values = Array.from(first.dataSync());
  tf.dispose(out);
  return values;
}

/** The same model's predictions: equal to float rounding (predict runs eagerly at first, then as a graph). */
function expectSamePredictions(actual: number[], expected: number[] | undefined): void {
  expect(actual).toHaveLength(expected!.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected![i]!, 6));
}

/** The model's predictions at the end of every epoch. */
class PredictionRecorder extends Callback {
  byEpoch: number[][] = [];
  override onEpochEnd(epoch: number): void {
    this.byEpoch[epoch] = predictions(this.model);
  }
}

async function savedEpoch(dir: string): Promise<unknown> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { userDefinedMetadata?: { epoch?: unknown } };
  return json.userDefinedMetadata?.epoch;
}

describe('ModelCheckpoint', () => {
  it('saves a loadable folder per epoch, named from the epoch and the logs, and leaves no temporary folder', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const dir = join(root, 'per-epoch');
    const recorder = new PredictionRecorder();
    const checkpoint = new ModelCheckpoint({ filepath: join(dir, 'epoch-{epoch:02d}-loss-{loss:.4f}-e{epoch}') });
    const history = await model.fit(x, y, { ...fitOptions, epochs: 3, callbacks: [checkpoint, recorder] });

    const losses = history.history['loss']!;
    const expected = losses.map((loss, i) => `epoch-0${i + 1}-loss-${loss.toFixed(4)}-e${i + 1}`);
    expect((await readdir(dir)).sort()).toEqual(expected);
    for (const [i, name] of expected.entries()) {
      const loaded = await loadModel(join(dir, name));
      expect(loaded.metadata).toEqual({ epoch: i + 1 });
      expectSamePredictions(predictions(loaded), recorder.byEpoch[i]);
    }
    expect(recorder.byEpoch[0]).not.toEqual(recorder.byEpoch[2]);
  });

  it('keeps the model’s own metadata and saves the optimizer unless saveWeightsOnly', async () => {
    setSeed(2);
    const model = compiledClassifier();
    await model.save(join(root, 'meta-seed'), { metadata: { preset: 'tiny' } });
    const full = join(root, 'full');
    const weightsOnly = join(root, 'weights-only');
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 1,
      callbacks: [new ModelCheckpoint({ filepath: full }), new ModelCheckpoint({ filepath: weightsOnly, saveWeightsOnly: true })],
    });
    const size = async (dir: string) => {
      const file = (await readdir(dir)).find((f) => f.endsWith('.bin'))!;
      return (await stat(join(dir, file))).size;
    };
    const layerWeights = 2 * 8 + 8 + 8 * 2 + 2;
    expect(await size(weightsOnly)).toBe(layerWeights * 4);
    expect(await size(full)).toBe((layerWeights + 1 + 2 * layerWeights) * 4);
    expect((await loadModel(full)).metadata).toEqual({ preset: 'tiny', epoch: 1 });
    expectSamePredictions(predictions(await loadModel(weightsOnly)), predictions(model));
  });

  it('with saveBestOnly saves only when the monitor improves', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const dir = join(root, 'best');
    const recorder = new PredictionRecorder();
    const seen: unknown[] = [];
    class Observe extends Callback {
      override async onEpochEnd(): Promise<void> {
        seen.push(await savedEpoch(dir));
      }
    }
    const script = new Script({ val_loss: [0.5, 0.7, 0.4, 0.6, 0.45] });
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 5,
      callbacks: [script, new ModelCheckpoint({ filepath: dir, saveBestOnly: true }), recorder, new Observe()],
    });
    expect(seen).toEqual([1, 1, 3, 3, 3]);
    expectSamePredictions(predictions(await loadModel(dir)), recorder.byEpoch[2]);
    expect(await readdir(root)).not.toContainEqual(expect.stringMatching(/^\.best/));
  });

  it("keeps the epoch with the lowest validation loss from fit's own validation", async () => {
    setSeed(11);
    const model = compiledClassifier();
    const dir = join(root, 'best-val');
    const flipped = { data: y.data.map((v) => 1 - v), shape: y.shape };
    const recorder = new PredictionRecorder();
    const history = await model.fit(x, y, {
      ...fitOptions,
      epochs: 4,
      validationData: [x, flipped],
      callbacks: [new ModelCheckpoint({ filepath: dir, saveBestOnly: true }), recorder],
    });
    const valLoss = history.history['val_loss']!;
    const best = valLoss.indexOf(Math.min(...valLoss));
    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual({ epoch: best + 1 });
    expectSamePredictions(predictions(loaded), recorder.byEpoch[best]);
  });

  it('maximises accuracy-like monitors, and saves anyway with a warning when the monitor is missing', async () => {
    setSeed(4);
    const model = compiledClassifier();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const acc = join(root, 'acc-{epoch}');
    const missing = join(root, 'missing-{epoch}');
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 3,
      callbacks: [
        new Script({ val_accuracy: [0.6, 0.5, 0.9] }),
        new ModelCheckpoint({ filepath: acc, monitor: 'val_accuracy', saveBestOnly: true }),
        new ModelCheckpoint({ filepath: missing, monitor: 'val_auc', saveBestOnly: true }),
      ],
    });
    const names = (await readdir(root)).sort();
    expect(names.filter((n) => n.startsWith('acc-'))).toEqual(['acc-1', 'acc-3']);
    expect(names.filter((n) => n.startsWith('missing-'))).toEqual(['missing-1', 'missing-2', 'missing-3']);
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain('`val_auc`');
  });

  it('with a numeric saveFreq saves every N batches, across epochs', async () => {
    setSeed(5);
    const model = compiledClassifier();
    const dir = join(root, 'batches');
    // 3 batches per epoch, 2 epochs: batches 2, 4 and 6 of the run.
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 2,
      callbacks: [new ModelCheckpoint({ filepath: join(dir, 'e{epoch}-b{batch}'), saveFreq: 2 })],
    });
    expect((await readdir(dir)).sort()).toEqual(['e1-b2', 'e2-b1', 'e2-b3']);
    expect((await loadModel(join(dir, 'e2-b1'))).metadata).toEqual({ epoch: 2, batch: 1 });
  });

  it('keeps the previous checkpoint intact when a save fails midway, and cleans up its temporary folder', async () => {
    setSeed(6);
    const model = compiledClassifier();
    const parent = join(root, 'crash');
    const dir = join(parent, 'ckpt');
    const recorder = new PredictionRecorder();
    const realSave = model.save.bind(model);
    class BreakSavesAfterFirstEpoch extends Callback {
      override onEpochEnd(epoch: number): void {
        if (epoch !== 0) return;
        // From now on a save writes its weights file, then fails before model.json, like a full disk.
        vi.spyOn(model, 'save').mockImplementation(async (target, options) => {
          await realSave(target, options);
          await rm(join(target, 'model.json'));
          throw new Error('ENOSPC: no space left on device');
        });
      }
    }
    const fit = model.fit(x, y, {
      ...fitOptions,
      epochs: 3,
      callbacks: [new ModelCheckpoint({ filepath: dir }), recorder, new BreakSavesAfterFirstEpoch()],
    });
    await expect(fit).rejects.toThrow('ENOSPC');
    expect(await readdir(parent)).toEqual(['ckpt']);
    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual({ epoch: 1 });
    expectSamePredictions(predictions(loaded), recorder.byEpoch[0]);
  });

  it('fails clearly when the checkpoint folder cannot be created (its parent is a file)', async () => {
    setSeed(7);
    const model = compiledClassifier();
    const file = join(root, 'a-file');
    await writeFile(file, 'not a folder');
    const fit = model.fit(x, y, { ...fitOptions, epochs: 1, callbacks: [new ModelCheckpoint({ filepath: join(file, 'sub', 'ckpt') })] });
    await expect(fit).rejects.toThrow(/ModelCheckpoint: cannot create the folder .*a-file/);
  });

  it('recovers from a crash between the two renames: the aside copy is complete and renamed back', async () => {
    setSeed(8);
    const model = compiledClassifier();
    const dir = join(root, 'recover', 'ckpt');
    await model.fit(x, y, { ...fitOptions, epochs: 1, callbacks: [new ModelCheckpoint({ filepath: dir })] });
    const expected = predictions(model);
    // The state a crash leaves after the old checkpoint was renamed aside and before the new one was renamed in.
    const aside = checkpointAsidePath(dir);
    expect(aside).toBe(join(root, 'recover', '.ckpt.old'));
    await rename(dir, aside);
    expectSamePredictions(predictions(await loadModel(aside)), expected);
    expect(await recoverCheckpoint(dir)).toBe(true);
    expectSamePredictions(predictions(await loadModel(dir)), expected);
    expect(await recoverCheckpoint(dir)).toBe(false);

    // A later save in that state replaces both and leaves only the new checkpoint.
    await rename(dir, aside);
    await model.fit(x, y, { ...fitOptions, epochs: 2, initialEpoch: 1, callbacks: [new ModelCheckpoint({ filepath: dir })] });
    expect(await readdir(join(root, 'recover'))).toEqual(['ckpt']);
    expect((await loadModel(dir)).metadata).toEqual({ epoch: 2 });
  });

  it('refuses to replace a folder that is not a checkpoint', async () => {
    setSeed(9);
    const model = compiledClassifier();
    const dir = join(root, 'precious');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    const fit = model.fit(x, y, { ...fitOptions, epochs: 1, callbacks: [new ModelCheckpoint({ filepath: dir })] });
    await expect(fit).rejects.toThrow('holding notes.txt, not a model checkpoint; refusing to replace it');
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('prints what it does with verbose 1', async () => {
    setSeed(10);
    const model = compiledClassifier();
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const dir = join(root, 'verbose');
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 2,
      callbacks: [new Script({ val_loss: [0.5, 0.6] }), new ModelCheckpoint({ filepath: dir, saveBestOnly: true, verbose: 1 })],
    });
    const text = stdout.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toContain(`Epoch 1: val_loss improved from Infinity to 0.50000, saving model to ${dir}`);
    expect(text).toContain('Epoch 2: val_loss did not improve from 0.50000');
  });
});

describe('ModelCheckpoint filepath formatting', () => {
  const values = { epoch: 3, batch: 12, loss: 0.123456, val_loss: 0.00123, neg: -2 };
  it.each([
    ['{epoch}', '3'],
    ['{epoch:02d}', '03'],
    ['{epoch:3d}', '  3'],
    ['e{epoch:03d}-b{batch}', 'e003-b12'],
    ['{val_loss:.4f}', '0.0012'],
    ['{loss:.2f}', '0.12'],
    ['{loss:f}', '0.123456'],
    ['{val_loss:.2e}', '1.23e-03'],
    ['{loss}', '0.123456'],
    ['{neg:04d}', '-002'],
    ['{{epoch}}-{epoch}', '{epoch}-3'],
  ])('%s → %s', (template, expected) => {
    expect(formatFilepath(template, values)).toBe(expected);
  });

  it('names the available keys when a field is missing, and rejects malformed templates up front', () => {
    expect(() => formatFilepath('{val_acc:.2f}', values)).toThrow("no 'val_acc' in the logs; available: epoch, batch, loss, val_loss, neg");
    expect(() => new ModelCheckpoint({ filepath: 'ckpt-{epoch' })).toThrow("unclosed '{'");
    expect(() => new ModelCheckpoint({ filepath: 'ckpt-{epoch:x}' })).toThrow("unsupported format spec ':x'");
    expect(() => new ModelCheckpoint({ filepath: 'ckpt', saveFreq: 0 })).toThrow("saveFreq must be 'epoch' or a positive whole number");
  });
});
