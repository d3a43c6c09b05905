import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Callback, setSeed, TensorBoard, type Logs } from '../src/index.js';
import * as backend from '../src/backend.js';
import { compiledClassifier, separable, tempDir } from './helpers.js';

// backendInfo stays the real one except where a test pretends to run on the pure-JS fallback.
vi.mock('../src/backend.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/backend.js')>();
  return { ...real, backendInfo: vi.fn(real.backendInfo) };
});

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const { x, y } = separable(16, 1);
const fitOptions = { batchSize: 8, verbose: 0 as const };

/** Puts a scripted validation loss into each epoch's logs, standing in for fit's validation. */
class FakeValidation extends Callback {
  override onEpochEnd(epoch: number, logs: Logs): void {
    logs.val_loss = 1 / (epoch + 1);
  }
}

/** CRC-32C (Castagnoli), as TFRecord frames use. */
function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function maskedCrc(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Splits a TFRecord file into its records, checking every frame: 8-byte little-endian length, masked CRC of it, data, masked CRC of the data. */
function records(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < file.length) {
    expect(file.length - at).toBeGreaterThanOrEqual(12);
    const length = Number(file.readBigUInt64LE(at));
    expect(file.readUInt32LE(at + 8)).toBe(maskedCrc(file.subarray(at, at + 8)));
    const data = file.subarray(at + 12, at + 12 + length);
    expect(data.length).toBe(length);
    expect(file.readUInt32LE(at + 12 + length)).toBe(maskedCrc(data));
    out.push(data);
    at += 12 + length + 4;
  }
  return out;
}

/** The single event file in `dir`. */
async function eventFile(dir: string): Promise<Buffer> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('events.out.tfevents.'));
  expect(files).toHaveLength(1);
  return readFile(join(dir, files[0]!));
}

describe('TensorBoard', () => {
  it('writes epoch scalars as TFRecord event files: training ones under train/, val_ ones without the prefix under validation/', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const logDir = join(root, 'epochs');
    await model.fit(x, y, { ...fitOptions, epochs: 2, callbacks: [new FakeValidation(), new TensorBoard({ logDir })] });

    expect((await readdir(logDir)).sort()).toEqual(['train', 'validation']);
    const train = await eventFile(join(logDir, 'train'));
    expect(train.length).toBeGreaterThan(0);
    const trainRecords = records(train);
    // The first record is the file's version event.
    expect(trainRecords[0]!.includes('brain.Event:2')).toBe(true);
    for (const tag of ['epoch_loss', 'epoch_accuracy', 'epoch_learning_rate']) expect(train.includes(tag)).toBe(true);
    expect(train.includes('val_loss')).toBe(false);
    expect(train.includes('batch_loss')).toBe(false);
    // One record per scalar per epoch, after the version event.
    expect(trainRecords.filter((r) => r.includes('epoch_loss'))).toHaveLength(2);

    const validation = await eventFile(join(logDir, 'validation'));
    const validationRecords = records(validation);
    expect(validationRecords.filter((r) => r.includes('epoch_loss'))).toHaveLength(2);
    expect(validation.includes('epoch_accuracy')).toBe(false);
  });

  it("writes fit's own validation metrics under validation/", async () => {
    setSeed(3);
    const model = compiledClassifier();
    const logDir = join(root, 'real-validation');
    await model.fit(x, y, { ...fitOptions, epochs: 2, validationData: [x, y], callbacks: [new TensorBoard({ logDir })] });
    const validation = records(await eventFile(join(logDir, 'validation')));
    expect(validation.filter((r) => r.includes('epoch_loss'))).toHaveLength(2);
    expect(validation.filter((r) => r.includes('epoch_accuracy'))).toHaveLength(2);
  });

  it('writes batch scalars every updateFreq batches, and weight histograms every histogramFreq epochs', async () => {
    setSeed(2);
    const model = compiledClassifier();
    const everyBatch = join(root, 'every-batch');
    const everyThird = join(root, 'every-third');
    // 2 batches per epoch, 3 epochs: 6 batches.
    await model.fit(x, y, {
      ...fitOptions,
      epochs: 3,
      callbacks: [
        new TensorBoard({ logDir: everyBatch, updateFreq: 'batch', histogramFreq: 2 }),
        new TensorBoard({ logDir: everyThird, updateFreq: 3 }),
      ],
    });
    const batchRecords = records(await eventFile(join(everyBatch, 'train')));
    expect(batchRecords.filter((r) => r.includes('batch_loss'))).toHaveLength(6);
    expect(batchRecords.filter((r) => r.includes('batch_size') || r.includes('batch_batch'))).toHaveLength(0);
    // Histograms at epochs 0 and 2 for each of the 4 weights.
    expect(batchRecords.filter((r) => r.includes('/histogram'))).toHaveLength(8);
    expect(records(await eventFile(join(everyThird, 'train'))).filter((r) => r.includes('batch_loss'))).toHaveLength(2);
    await expect(readdir(join(everyBatch, 'validation'))).rejects.toThrow('ENOENT');
  });

  it('refuses to run on the pure-JS fallback, naming the native requirement', () => {
    vi.mocked(backend.backendInfo).mockReturnValueOnce({
      backend: 'cpu',
      tensorflowVersion: null,
      tfjsVersion: '4.22.0',
      reason: '@tensorflow/tfjs-node did not load: test',
      graphExecution: false,
    });
    expect(() => new TensorBoard({ logDir: join(root, 'never') })).toThrow(
      /TensorBoard needs the native TensorFlow backend \(@tensorflow\/tfjs-node\).*pure-JS 'cpu' backend \(@tensorflow\/tfjs-node did not load: test\)/,
    );
  });

  it('rejects invalid options', () => {
    expect(() => new TensorBoard({ logDir: root, updateFreq: 0 })).toThrow(
      "updateFreq must be 'epoch', 'batch' or a positive whole number",
    );
    expect(() => new TensorBoard({ logDir: root, histogramFreq: -1 })).toThrow('histogramFreq must be a whole number ≥ 0');
  });
});
